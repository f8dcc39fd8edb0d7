// Entry point of the full page: the trainer's markup in the document, configured by the URL.
import './styles.css';
import { App } from './app/app';
import { settingsFromQuery } from './app/settings';
import { trainerMarkup } from './app/template';

const query = new URLSearchParams(location.search);
const main = document.createElement('main');
main.innerHTML = trainerMarkup();
document.body.prepend(main);

void new App({
  root: document,
  stateTarget: document.body,
  settings: settingsFromQuery(query),
  dataUrl: new URL(query.get('data') ?? './data/mnist/', document.baseURI).href,
  engine: (['simd', 'scalar', 'threads'] as const).find((choice) => choice === query.get('engine')) ?? 'auto',
  autostart: query.has('autostart'),
}).run();
