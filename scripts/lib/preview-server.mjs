// `vite preview` of the built app (dist/) on a free port of 127.0.0.1, and the Chromium that opens it: for the browser
// tests (tests/e2e/harness.mjs) and the page's speed in the benchmark (page-bench.mjs).
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VITE = path.join(ROOT, 'node_modules/.bin/vite');

/** Debian's Chromium, and how the tests and the benchmark run it (headless, no network of its own). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `vite preview` of dist/ (with its COOP/COEP headers) on a free port; resolves to { url, stop } once it serves the page. */
export async function startPreviewServer() {
  const port = await freePort();
  // The binary itself, not npx: the pid we hold is the server's, so killing it stops the server.
  const child = spawn(VITE, ['preview', '--config', 'web/vite.config.ts', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`vite preview exited (${JSON.stringify(exited)}) before serving:\n${output}`);
    try {
      const response = await fetch(url);
      if (response.ok && (await response.text()).includes('scratchnet')) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`vite preview did not answer at ${url} within 30 s:\n${output}`);
    }
    await sleep(100);
  }
  const stop = async () => {
    if (exited) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };
  return { url, stop };
}
