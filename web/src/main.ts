// Entry point of the page.
import './styles.css';
import { App } from './app/app';

new App(new URLSearchParams(location.search)).run().catch((error: unknown) => {
  const status = document.getElementById('engine-status');
  if (status) status.textContent = `scratchnet could not start: ${error instanceof Error ? error.message : String(error)}`;
});
