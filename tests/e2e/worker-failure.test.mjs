// A missing or dying training worker, in the page and the embed: the page says plainly what went wrong (naming a
// missing worker or wasm file), training stops, and Retry starts a new worker. The files are made to fail with
// page.route; a worker is made to die by serving, in place of its script, a module that imports the real one and
// listens on a BroadcastChannel for the test's word to close itself or throw (nothing in the app is test-only).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { batchesDone, openFor, pollUntil, screenshot, sleep, useApp, waitForDataReady, waitForState } from './harness.mjs';

const WORKER_SCRIPT = /\/assets\/training\.worker-[\w-]+\.js$/;
const SIMD_WASM = /\/assets\/scratchnet-simd-[\w-]+\.wasm$/;
const notFound = (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'Not found' });

/** Serves the worker's script as a module that runs the real one and dies on the test's word. */
function killableWorker(route) {
  const real = `${route.request().url()}?real`; // does not match WORKER_SCRIPT: served as it is
  return route.fulfill({
    status: 200,
    contentType: 'text/javascript',
    // as vite preview serves the real one: a cross-origin-isolated page starts only a worker that is too
    headers: { 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Opener-Policy': 'same-origin' },
    body: `import ${JSON.stringify(real)};
new BroadcastChannel('e2e-worker').onmessage = ({ data }) => {
  if (data === 'close') self.close();
  if (data === 'throw') setTimeout(() => { throw new Error('e2e: thrown in the worker'); });
};`,
  });
}

/** Tells every killable worker of the page to close itself or throw an uncaught error. */
async function tellWorker(page, word) {
  await page.evaluate((message) => new BroadcastChannel('e2e-worker').postMessage(message), word);
}

async function failureMessage(page, timeout = 20_000) {
  await page.locator('#worker-failure').waitFor({ state: 'visible', timeout });
  return page.locator('#worker-failure-message').textContent();
}

const bodyState = (page) => page.evaluate(() => document.body.dataset.state);

/** Trains until a few batches are done, so that the worker holds a model. */
async function startTraining(page) {
  await page.click('#start');
  await waitForState(page, 'training');
  const batches = await pollUntil(() => batchesDone(page), (n) => n >= 3, { timeout: 20_000 });
  assert.ok(batches >= 3, `training ran (${batches} batches)`);
}

describe('a worker that is missing or dies', () => {
  const app = useApp();

  test('a worker script that answers 404 is named, and Retry starts a new worker once it is back', async (t) => {
    const { page } = await openFor(t, app, '?engine=simd&hidden=64&images=2000', {
      waitForData: false, beforeGoto: (page) => page.route(WORKER_SCRIPT, notFound),
    });
    const message = await failureMessage(page);
    assert.match(message, /^Could not load the engine: the worker script training\.worker-[\w-]+\.js was not found \(404\)/);
    assert.equal(await bodyState(page), 'error');
    assert.doesNotMatch(await page.locator('#engine-status').textContent(), /Loading the engine/);
    assert.equal(await page.locator('#start').isEnabled(), false);
    assert.equal(await page.locator('#worker-retry').isVisible(), true);
    await screenshot(page, 'worker-404', { fullPage: false });

    await page.unroute(WORKER_SCRIPT);
    await page.click('#worker-retry');
    await waitForDataReady(page);
    assert.equal(await page.locator('#worker-failure').isVisible(), false, 'the failure is gone after a Retry that worked');
    assert.equal(await bodyState(page), 'ready');
    assert.match(await page.locator('#engine-status').textContent(), /SIMD/);
    assert.equal(await page.locator('#start').isEnabled(), true);
  });

  test('a missing wasm file is named as such, not as a data set that did not load', async (t) => {
    const { page } = await openFor(t, app, '?engine=simd&hidden=64&images=2000', {
      waitForData: false, beforeGoto: (page) => page.route(SIMD_WASM, notFound),
    });
    const message = await failureMessage(page);
    assert.match(message, /^Could not load the engine: scratchnet-simd\.wasm was not found \(404\) at http:\/\/\S+\/assets\/scratchnet-simd-[\w-]+\.wasm/);
    assert.doesNotMatch(await page.locator('#data-status').textContent(), /Could not load MNIST|Aborted/);
    assert.equal(await bodyState(page), 'error');

    await page.unroute(SIMD_WASM);
    await page.click('#worker-retry');
    await waitForDataReady(page);
    assert.equal(await bodyState(page), 'ready');
    assert.equal(await page.evaluate(() => document.body.dataset.engine), 'wasm-simd128');
  });

  test('a worker that stops mid-run: training stops, the page says so, Pause and Save are off, Retry trains again', async (t) => {
    const { page } = await openFor(t, app, '?engine=simd&hidden=128&images=60000&epochs=5', {
      beforeGoto: (page) => page.route(WORKER_SCRIPT, killableWorker),
    });
    await startTraining(page);
    await tellWorker(page, 'close');
    await waitForState(page, 'error', 15_000);
    const message = await failureMessage(page, 10_000);
    assert.match(message, /^The training worker stopped \(.+\)\. .*Retry starts a new one\.$/);
    assert.match(message, /could not be recovered/, 'a worker that is gone cannot hand over its model, and the page says so');
    assert.match(await page.locator('#run-message').textContent(), /The training worker stopped/);
    assert.equal(await page.locator('#pause').isEnabled(), false, 'Pause is off: there is nothing to pause');
    assert.equal(await page.locator('#save-browser').isEnabled(), false, 'Save is off: there is no worker to save from');
    assert.equal(await page.locator('#download-model').isEnabled(), false);
    const frozen = await batchesDone(page);
    await sleep(500);
    assert.equal(await batchesDone(page), frozen);
    await screenshot(page, 'worker-stopped', { fullPage: false });

    await page.click('#worker-retry');
    await waitForDataReady(page);
    assert.equal(await bodyState(page), 'ready');
    await startTraining(page);
    await page.click('#pause');
    await waitForState(page, 'paused');
  });

  test('an uncaught error in the worker: the model it still holds is offered for download before Retry', async (t) => {
    const { page } = await openFor(t, app, '?engine=simd&hidden=64&images=60000&epochs=5', {
      beforeGoto: (page) => page.route(WORKER_SCRIPT, killableWorker),
    });
    await startTraining(page);
    await tellWorker(page, 'throw');
    await waitForState(page, 'error', 15_000);
    assert.match(await failureMessage(page, 10_000), /^The training worker stopped \(an uncaught error: .*e2e: thrown in the worker\)\. .*Retry starts a new one\.$/);
    const save = page.locator('#worker-save-model');
    await save.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await page.locator('#worker-failure-message').textContent(), /was recovered/);
    const [download] = await Promise.all([page.waitForEvent('download'), save.click()]);
    const file = await download.path();
    const bytes = fs.readFileSync(file);
    assert.ok(bytes.length > 50_000, `the recovered model has the network's weights (${bytes.length} bytes)`);

    // a new worker takes the recovered model
    await page.click('#worker-retry');
    await waitForDataReady(page);
    await page.setInputFiles('#load-file', { name: 'recovered.bin', mimeType: 'application/octet-stream', buffer: bytes });
    await page.waitForFunction(() => /^Loaded recovered\.bin: a 784-64-10 /.test(document.getElementById('model-message').textContent), null, { timeout: 10_000 });
  });

  test('an embedded trainer whose worker script is missing says so in its own shadow root', async (t) => {
    const { page } = await openFor(t, app, 'examples/blog-post.html', {
      waitForData: false, beforeGoto: (page) => page.route(WORKER_SCRIPT, notFound),
    });
    const trainers = page.locator('scratchnet-trainer');
    await pollUntil(() => trainers.count(), (n) => n >= 1);
    const count = await trainers.count();
    assert.ok(count >= 1);
    for (let i = 0; i < count; i++) {
      const trainer = trainers.nth(i);
      await trainer.locator('#worker-failure').waitFor({ state: 'visible', timeout: 20_000 });
      assert.match(await trainer.locator('#worker-failure-message').textContent(), /^Could not load the engine: the worker script training\.worker-[\w-]+\.js was not found \(404\)/);
      assert.equal(await trainer.getAttribute('data-state'), 'error');
    }
    await page.unroute(WORKER_SCRIPT);
    const first = trainers.first();
    await first.locator('#worker-retry').click();
    // a new worker loaded the engine: Start is enabled again (the data downloads when it is pressed)
    await pollUntil(() => first.locator('#start').isEnabled(), Boolean, { timeout: 30_000 });
    assert.equal(await first.locator('#start').isEnabled(), true);
    assert.match(await first.locator('#data-status').textContent(), /^MNIST downloads when training starts/);
    assert.equal(await first.locator('#worker-failure').isVisible(), false);
  });
});

describe('the page\'s URL warnings', () => {
  const app = useApp();

  test('?engine=gpu is warned about, not ignored silently; a refused setting reads as one sentence', async (t) => {
    const warnings = [];
    const { page } = await openFor(t, app, '?engine=gpu&hidden=abc', {
      beforeGoto: (page) => page.on('console', (message) => { if (message.type() === 'warning') warnings.push(message.text()); }),
    });
    assert.ok(warnings.includes('scratchnet: ignoring engine="gpu" (must be one of auto, simd, scalar, threads); using auto'), warnings.join('\n'));
    const hidden = warnings.find((text) => text.includes('hidden="abc"'));
    assert.match(hidden ?? '', /^scratchnet: ignoring hidden="abc" \(must be whole numbers from 1 to \d+, separated by commas\); using 2048$/);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  });
});
