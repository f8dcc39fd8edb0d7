// Shared setup of the browser end-to-end tests: serves the built app (dist/) with `vite preview`, drives
// Debian's Chromium through playwright-core, and offers the small waits and readings the tests share.
//
// useApp() registers one before() and one after() hook in the calling suite: one server and one browser
// (a persistent context on a fresh temporary profile, so IndexedDB and Cache Storage live for the whole
// file and start empty on every run).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, freePort, startPreviewServer } from '../../scripts/lib/preview-server.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(ROOT, 'dist');
/** Screenshots go where CI keeps them in its log (build/ is gitignored; never tests/e2e/screenshots/). */
export const SCREENSHOT_DIR = path.resolve(ROOT, process.env.SCREENSHOT_DIR ?? 'build/screenshots');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `vite preview` of dist/ on a free port (scripts/lib/preview-server.mjs); checks the build first. */
async function startPreview() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    throw new Error(`${DIST}/index.html is missing: run npm run build first`);
  }
  if (!fs.existsSync(path.join(DIST, 'data/mnist/train-images-idx3-ubyte.gz'))) {
    throw new Error(`${DIST}/data/mnist/ lacks the MNIST files: run npm run build first`);
  }
  return startPreviewServer();
}

/**
 * One server and one browser for the calling suite. The returned object is filled in by before():
 * app.url (the app's base URL) and app.open(query, options) (a new page with its errors collected).
 */
export function useApp() {
  const app = { url: '', context: null, pages: [] };
  let server = null;
  let profile = null;

  before(async () => {
    try {
      server = await startPreview();
    } catch (error) {
      console.error(`e2e setup failed: ${error.message}`); // said once, above the cancelled tests
      throw error;
    }
    app.url = server.url;
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
    app.context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 },
    });
    // the persistent context opens with one blank tab; close it so only the tests' pages run
    for (const page of app.context.pages()) await page.close();
  });

  after(async () => {
    await app.context?.close().catch(() => undefined);
    await server?.stop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  /** A second browser on a fresh profile (empty caches), for a test that counts what is downloaded; close it after. */
  app.newContext = async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
    const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    for (const page of context.pages()) await page.close();
    const close = context.close.bind(context);
    context.close = async () => {
      await close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    };
    return context;
  };

  /**
   * Opens the app with `query` (e.g. '?hidden=64&images=2000'). `initScript` runs in the page before its
   * own scripts; `beforeGoto(page)` runs before the page is opened (to route its requests, say). Returns
   * { page, errors }: errors collects console errors and uncaught page errors.
   */
  app.open = async (query = '', { initScript, waitForData = true, beforeGoto } = {}) => {
    const page = await app.context.newPage();
    const errors = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console.error: ${message.text()} (${message.location().url ?? ''})`);
    });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('crash', () => errors.push('the page crashed'));
    if (initScript) await page.addInitScript(initScript);
    if (beforeGoto) await beforeGoto(page);
    await page.goto(new URL(query, app.url).href);
    if (waitForData) await waitForDataReady(page);
    return { page, errors };
  };

  return app;
}

/** Waits until the worker has loaded MNIST (the page marks #data-status[data-ready]). */
/** Fails listing every console error and uncaught page error the page produced. */
export function assertNoErrors(errors, what = 'the page') {
  assert.deepEqual(errors, [], `${what} logged errors:\n${errors.join('\n')}`);
}

/** Opens a page for this test and closes it (and so its worker) when the test ends. */
export async function openFor(t, app, query, options) {
  const opened = await app.open(query, options);
  t.after(() => opened.page.close().catch(() => undefined));
  return opened;
}

export async function waitForDataReady(page, timeout = 30_000) {
  try {
    await page.locator('#data-status[data-ready]').waitFor({ state: 'attached', timeout });
  } catch (error) {
    const status = await page.locator('#data-status').textContent().catch(() => '?');
    throw new Error(`MNIST was not ready within ${timeout} ms; #data-status says: ${status}`, { cause: error });
  }
}

/** Waits until body[data-state] is one of `states`; fails naming the state it got stuck in. */
export async function waitForState(page, states, timeout = 30_000) {
  const wanted = Array.isArray(states) ? states : [states];
  try {
    await page.waitForFunction((list) => list.includes(document.body.dataset.state), wanted, { timeout, polling: 50 });
  } catch (error) {
    const state = await page.evaluate(() => document.body.dataset.state).catch(() => '?');
    const message = await page.locator('#run-message').textContent().catch(() => '');
    throw new Error(`state did not become ${wanted.join('|')} within ${timeout} ms: it is ${state} (run message: ${message})`, { cause: error });
  }
}

/** Polls `read` until `accept(value)` or the timeout; returns the last value (the caller asserts on it). */
export async function pollUntil(read, accept, { timeout = 10_000, interval = 50 } = {}) {
  const deadline = Date.now() + timeout;
  let value = await read();
  while (!accept(value) && Date.now() < deadline) {
    await sleep(interval);
    value = await read();
  }
  return value;
}

/** body[data-batches] as a number (NaN when not set). */
export async function batchesDone(page) {
  return Number(await page.evaluate(() => document.body.dataset.batches ?? 'NaN'));
}

/**
 * Records a Chrome trace of the page's main thread. stop() returns its top-level tasks on the page's clock
 * (performance.now() milliseconds): { start, duration, cpu }, where duration is wall time and cpu is the
 * time the thread actually ran. The two differ when the thread waits for a CPU (a busy machine).
 */
export async function traceMainThread(page) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  await cdp.send('Tracing.start', {
    traceConfig: { includedCategories: ['toplevel', 'blink.user_timing'] }, transferMode: 'ReportEvents',
  });
  // a performance mark is both in the trace (its clock) and on the page (its clock), on the main thread
  const markName = `e2e-trace-${process.pid}-${Date.now()}`;
  await page.evaluate((name) => void performance.mark(name), markName);
  return {
    async stop() {
      const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
      await cdp.send('Tracing.end');
      await complete;
      await cdp.detach().catch(() => undefined);
      const mark = events.find((event) => event.name === markName);
      if (!mark) throw new Error('the trace lacks the page\'s performance mark: cannot tell its main thread');
      const offset = mark.ts / 1000 - mark.args.data.startTime;
      return events
        .filter((event) => event.name === 'ThreadControllerImpl::RunTask' && event.ph === 'X' && event.pid === mark.pid && event.tid === mark.tid)
        .map((event) => ({ start: event.ts / 1000 - offset, duration: event.dur / 1000, cpu: (event.tdur ?? NaN) / 1000 }));
    },
  };
}

/**
 * Saves a screenshot of a page or of one element (a locator) under SCREENSHOT_DIR and prints its path, so
 * it shows in the CI log.
 */
export async function screenshot(target, name, options = {}) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await target.screenshot({ path: file, ...options });
  console.log(`screenshot: ${file}`);
  return file;
}

export { CHROMIUM, CHROMIUM_ARGS, freePort, sleep };
