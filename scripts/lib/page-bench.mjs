// The app's training speed in a real page: the built app (dist/) served by `vite preview` (cross-origin isolated,
// so the page may run the pthread build), Debian's Chromium headless, the default network trained for one epoch of
// MNIST with the page's charts and views drawing as a user sees them. The speed is read off the page's own
// progress (body[data-batches], written as each report of the worker arrives), by wall clock.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, startPreviewServer } from './preview-server.mjs';

// The same settings as the Node benchmark: a constant rate (the page's default schedule changes it every batch).
const RUN = 'epochs=1&batch=64&schedule=constant&seed=1&autostart';
// Batches a window must span at least: the worker reports every 40 ms or so, so a window of 150 batches (0.3-0.7 s)
// is timed to within a few percent.
const WINDOW_BATCHES = 150;

/** The best speed over windows of at least WINDOW_BATCHES, and the mean over the run, from [ms, batches] marks. */
export function speedsFromMarks(marks, batchSize) {
  let best = 0;
  for (let i = 0, j = 0; i < marks.length; i++) {
    while (j < marks.length && marks[j][1] - marks[i][1] < WINDOW_BATCHES) j++;
    if (j === marks.length) break;
    best = Math.max(best, ((marks[j][1] - marks[i][1]) * batchSize) / ((marks[j][0] - marks[i][0]) / 1000));
  }
  const [first, last] = [marks[0], marks.at(-1)];
  const mean = marks.length > 1 ? ((last[1] - first[1]) * batchSize) / ((last[0] - first[0]) / 1000) : 0;
  return { best, mean };
}

/** Trains one epoch in the page; engine: 'simd' (one thread) or undefined (the page's choice: two threads). */
async function pageRun(context, url, engine) {
  const page = await context.newPage();
  try {
    await page.addInitScript(() => {
      // Each change of body[data-batches], with the time it was seen.
      window.__marks = [];
      new MutationObserver(() => {
        const batches = Number(document.body.dataset.batches);
        if (batches > 0) window.__marks.push([performance.now(), batches]);
      }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-batches'] });
    });
    await page.goto(`${url}?${RUN}${engine ? `&engine=${engine}` : ''}`);
    // Polled twice a second: Playwright's default polls every animation frame, 60 frames a second the page would
    // not draw otherwise.
    await page.waitForFunction(() => ['done', 'error', 'diverged'].includes(document.body.dataset.state), null, { timeout: 300_000, polling: 500 });
    const { state, threads, marks } = await page.evaluate(() => ({ state: document.body.dataset.state, threads: Number(document.body.dataset.threads), marks: window.__marks }));
    if (state !== 'done') throw new Error(`the page's run ended in state ${state}`);
    return { threads, marks };
  } finally {
    await page.close();
  }
}

/** { chromium, oneThread: {best, mean, threads}, twoThreads: {...} } or { skipped: reason }. */
export async function benchPage({ root, batchSize = 64 }) {
  if (!fs.existsSync(CHROMIUM)) return { skipped: `no Chromium at ${CHROMIUM} (npm run setup -- --browser installs it)` };
  if (!fs.existsSync(path.join(root, 'dist/index.html'))) return { skipped: 'no dist/ (npm run build makes it)' };
  const server = await startPreviewServer();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-bench-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 } });
  try {
    const blank = await context.newPage();
    const result = { chromium: (await blank.evaluate(() => navigator.userAgent)).match(/Chrome\/([\d.]+)/)?.[1] ?? 'unknown' };
    await blank.close();
    // A first run fills the data cache, so the timed runs download nothing; then one thread and two, twice each, in turn.
    await pageRun(context, server.url, 'simd');
    const runs = { oneThread: [], twoThreads: [] };
    for (let round = 0; round < 2; round++) {
      runs.oneThread.push(await pageRun(context, server.url, 'simd'));
      runs.twoThreads.push(await pageRun(context, server.url));
    }
    for (const [name, list] of Object.entries(runs)) {
      const speeds = list.map(({ marks }) => speedsFromMarks(marks, batchSize));
      result[name] = { threads: list[0].threads, best: Math.max(...speeds.map((s) => s.best)), mean: Math.max(...speeds.map((s) => s.mean)) };
    }
    return result;
  } finally {
    await context.close().catch(() => undefined);
    await server.stop();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
