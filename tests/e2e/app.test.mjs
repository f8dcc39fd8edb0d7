// Browser end-to-end tests of the web app: the built site (dist/) served by `vite preview`, driven in
// Debian's Chromium. Run with `node --test tests/e2e/` after `npm run build`.
// One server and one browser serve every test (see harness.mjs); each test opens its own page and
// asserts only on what it did itself.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertNoErrors, batchesDone, freePort, openFor, pollUntil, screenshot, sleep, traceMainThread, useApp, waitForDataReady, waitForState,
} from './harness.mjs';

// Short runs: a small network on 10,000 images trains one epoch in well under a second here (about 150
// batches: enough 40 ms chunks for the loss chart to grow in several steps even on a faster machine).
const SHORT_RUN = 'hidden=128&images=10000&epochs=1&batch=64&lr=1&momentum=0.9&seed=1';

/** An element's text content. */
function text(page, selector) {
  return page.locator(selector).textContent();
}

/** The sample test digits' predicted labels, read from the tiles' aria-labels ("true 7, predicted 7, right"). */
async function digitPredictions(page) {
  return page.$$eval('#digit-grid [role="img"][aria-label]', (tiles) => tiles
    .filter((tile) => !tile.hidden)
    .map((tile) => tile.getAttribute('aria-label')));
}

/** The confusion matrix's 10×10 counts, read from the table (rows: true digit; the last column is accuracy). */
async function confusionCounts(page) {
  return page.$$eval('#confusion table tbody tr', (rows) => rows.map((row) => [...row.querySelectorAll('td')]
    .slice(0, 10).map((cell) => Number(cell.textContent))));
}

/**
 * Draws with the mouse on #draw-canvas: each stroke is a list of [x, y] points as fractions of the canvas
 * (0..1). The same strokes always give the same mouse events, so the same pixels.
 */
async function draw(page, strokes) {
  const canvas = page.locator('#draw-canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  assert.ok(box && box.width > 50 && box.height > 50, `#draw-canvas is too small to draw on: ${JSON.stringify(box)}`);
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const point of stroke.slice(1)) await page.mouse.move(...at(point), { steps: 8 });
    await page.mouse.up();
  }
}

const ONE = [[[0.5, 0.18], [0.5, 0.82]]];
const DOT = [[[0.5, 0.5], [0.505, 0.505]]];
const SEVEN = [[[0.28, 0.22], [0.72, 0.22], [0.45, 0.85]]];

/**
 * The draw pad's answer and the ten score bars (#score-N holds a meter with aria-valuenow in percent, a
 * fill whose width is the score, and the score as text), as the page shows them.
 */
async function drawReading(page) {
  return page.evaluate(() => {
    const scores = [];
    for (let digit = 0; digit < 10; digit++) {
      const bar = document.getElementById(`score-${digit}`);
      if (!bar) { scores.push(null); continue; }
      const meter = bar.matches('[aria-valuenow]') ? bar : bar.querySelector('[aria-valuenow]');
      const fill = meter?.querySelector('[style*="width"]');
      scores.push({
        value: meter?.getAttribute('aria-valuenow') ?? null,
        text: meter?.getAttribute('aria-valuetext') ?? null,
        fill: fill?.style.width ?? null, // as set; the drawn width eases towards it (see fillWidths)
      });
    }
    return { answer: document.getElementById('draw-answer')?.textContent.trim() ?? null, scores };
  });
}

/** A score bar's value in percent (NaN when it shows none). */
function scoreValue(score) {
  return score && score.value !== null ? Number(score.value) : NaN;
}

/**
 * Waits for the answer to the finished drawing. The pad also asks about the stroke while it is drawn, so
 * an answer appears before the last one: wait until the reading stays the same for 300 ms.
 */
async function waitForAnswer(page, timeout = 10_000) {
  await page.waitForFunction(() => /The network says: \d\b/.test(document.getElementById('draw-answer')?.textContent ?? ''),
    null, { timeout, polling: 50 });
  const deadline = Date.now() + timeout;
  let reading = await drawReading(page);
  for (;;) {
    await sleep(300);
    const next = await drawReading(page);
    if (JSON.stringify(next) === JSON.stringify(reading)) return next;
    if (Date.now() > deadline) throw new Error(`the draw pad's answer did not settle: ${JSON.stringify(next)}`);
    reading = next;
  }
}

/** The score bars' fills as drawn on screen (pixels), once their transitions have ended. */
async function fillWidths(page) {
  return page.evaluate(async () => {
    const fills = [];
    for (let digit = 0; digit < 10; digit++) {
      const fill = document.getElementById(`score-${digit}`)?.querySelector('[aria-valuenow] [style*="width"]');
      await Promise.allSettled((fill?.getAnimations() ?? []).map((animation) => animation.finished));
      fills.push(fill ? fill.getBoundingClientRect().width : NaN);
    }
    return fills;
  });
}

describe('scratchnet in the browser', () => {
  const app = useApp();

  test('the page loads MNIST, names the engine (SIMD here), and logs no errors', async (t) => {
    const { page, errors } = await openFor(t, app, '');
    assert.match(await page.locator('#data-status').textContent(), /60,000 training and 10,000 test images/);
    assert.equal(await page.evaluate(() => document.body.dataset.engine), 'wasm-simd128');
    assert.match(await page.locator('#engine-status').textContent(), /SIMD/);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
    assert.equal(await page.locator('#start').isEnabled(), true, 'Start is enabled once the data is ready');
    assert.equal(await page.locator('#data-retry').isVisible(), false);
    // the settings form shows the defaults
    assert.equal(await page.inputValue('#hidden'), '2048');
    assert.equal(await page.inputValue('#learningRate'), '2');
    await sleep(300); // late errors (e.g. a view failing on its first frame), late progress reports
    assert.match(await page.locator('#data-status').textContent(), /^MNIST ready: /, 'the ready message stays');
    assertNoErrors(errors);
  });

  test('?engine=scalar runs the plain wasm build and says so', async (t) => {
    const { page, errors } = await openFor(t, app, '?engine=scalar&hidden=64');
    assert.equal(await page.evaluate(() => document.body.dataset.engine), 'scalar');
    const engine = await page.locator('#engine-status').textContent();
    assert.match(engine, /plain WebAssembly/);
    assert.doesNotMatch(engine, /has no wasm SIMD/, 'this browser has SIMD: the page must not blame it for the scalar engine');
    assert.equal(await page.inputValue('#hidden'), '64', 'the URL settings fill the form');
    assertNoErrors(errors);
  });

  test('a short run started with Start draws the loss curve and ends above 80% test accuracy', async (t) => {
    const { page, errors } = await openFor(t, app, `?${SHORT_RUN}`);
    assert.equal(await page.inputValue('#trainLimit'), '10000', 'images=10000 fills the form');
    assert.equal(await page.getAttribute('#loss-chart', 'data-points'), '0');
    // record every value #loss-chart[data-points] takes while training, to see the curve grow over time
    await page.evaluate(() => {
      window.__points = [];
      new MutationObserver(() => window.__points.push(Number(document.getElementById('loss-chart').dataset.points)))
        .observe(document.getElementById('loss-chart'), { attributes: true, attributeFilter: ['data-points'] });
    });
    await page.click('#start');
    await waitForState(page, 'done', 60_000);
    // the last frame's points land on the next animation frame
    const batches = await batchesDone(page);
    const points = await pollUntil(() => page.getAttribute('#loss-chart', 'data-points').then(Number), (n) => n === batches);
    assert.ok(batches === 156 || batches === 157, `10,000 images in batches of 64 make 156 or 157 batches, not ${batches}`);
    assert.equal(points, batches, 'the loss chart received one point per batch');
    const history = await page.evaluate(() => window.__points);
    const growing = history.filter((n) => n > 0);
    assert.ok(new Set(growing).size >= 2, `the loss chart grew in several steps while training, got ${JSON.stringify(history)}`);
    for (let i = 1; i < growing.length; i++) assert.ok(growing[i] >= growing[i - 1], `points went down: ${JSON.stringify(history)}`);

    const accuracy = Number(await page.evaluate(() => document.body.dataset.testAccuracy));
    assert.ok(accuracy > 0.8 && accuracy <= 1, `test accuracy ${accuracy} should pass 80%`);
    assert.match(await page.locator('#summary').textContent(), /^Done: Epoch 1 of 1: test accuracy \d+\.\d\d%/);
    assert.equal(await page.locator('#progress-eta').textContent(), 'All epochs done');
    assert.equal(await page.locator('#progress-speed').textContent(), '', 'no speed once done');

    // the sample digits with their predictions: data-wrong counts the tiles marked wrong
    const tiles = await digitPredictions(page);
    assert.equal(tiles.length, 40, 'the digit grid shows 40 test digits');
    for (const label of tiles) assert.match(label, /^true \d, predicted \d, (right|wrong)$/);
    const wrong = tiles.filter((label) => label.endsWith('wrong')).length;
    assert.equal(Number(await page.getAttribute('#digit-grid', 'data-wrong')), wrong);
    assert.ok(wrong < 20, `${wrong} of 40 sample digits wrong at >80% accuracy`);

    // the confusion matrix: 10×10 counts over the 10,000 test images whose diagonal is the accuracy
    const matrix = await confusionCounts(page);
    assert.equal(matrix.length, 10);
    for (const row of matrix) assert.equal(row.length, 10);
    const total = matrix.flat().reduce((sum, n) => sum + n, 0);
    const right = matrix.reduce((sum, row, i) => sum + row[i], 0);
    assert.equal(total, 10000, 'the confusion matrix counts every test image');
    assert.ok(Math.abs(right / total - accuracy) < 1e-4, `diagonal ${right / total} vs test accuracy ${accuracy}`);

    assert.ok(await page.locator('#weight-tiles canvas.weight-tiles-tile:not([hidden])').count() > 0, 'weight tiles are drawn');

    // The notes above the digits and the weight tiles are small running text, not grids (a merged CSS rule once
    // laid the digits' summary out as a grid, a word a cell).
    const notes = await page.evaluate(() => ['.digit-grid-summary', '.weight-tiles-note'].map((selector) => {
      const note = document.querySelector(selector);
      const style = getComputedStyle(note);
      return { selector, text: note.textContent, display: style.display, size: parseFloat(style.fontSize),
        body: parseFloat(getComputedStyle(document.body).fontSize) };
    }));
    for (const note of notes) {
      assert.equal(note.display, 'block', `${note.selector} is a block of text`);
      assert.ok(note.size < note.body, `${note.selector} ("${note.text}") is smaller than the body text: ${note.size} vs ${note.body}px`);
    }
    await screenshot(page, 'short-run-done', { fullPage: true });
    assertNoErrors(errors);
  });

  test('Pause stops the batch count, Step runs one batch, Resume restarts it', async (t) => {
    const { page, errors } = await openFor(t, app, '?hidden=256&images=60000&epochs=3&batch=64');
    assert.equal(await page.locator('#pause').isEnabled(), false, 'nothing to pause before a run');
    await page.click('#start');
    await waitForState(page, 'training');
    const started = await pollUntil(() => batchesDone(page), (n) => n >= 20);
    assert.ok(started >= 20, `training ran ${started} batches`);
    await page.click('#pause');
    await waitForState(page, 'paused', 5000);
    assert.equal(await page.locator('#resume').isEnabled(), true);
    assert.equal(await page.locator('#pause').isEnabled(), false);
    const paused = await batchesDone(page);
    await sleep(1000);
    assert.equal(await batchesDone(page), paused, 'no batch ran while paused');
    assert.match(await page.locator('#summary').textContent(), /^Paused in epoch 1 of 3\./);
    // Step, while paused, runs exactly one batch
    await page.click('#step');
    const stepped = await pollUntil(() => batchesDone(page), (n) => n !== paused, { timeout: 5000 });
    assert.equal(stepped, paused + 1, 'Step ran one batch');
    await sleep(300);
    assert.equal(await batchesDone(page), paused + 1, 'and only one');
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'paused');

    await page.click('#resume');
    await waitForState(page, 'training', 5000);
    const resumed = await pollUntil(() => batchesDone(page), (n) => n > stepped + 10);
    assert.ok(resumed > stepped + 10, `training went on after Resume: ${stepped} → ${resumed}`);
    await page.click('#pause');
    await waitForState(page, 'paused', 5000);
    assertNoErrors(errors);
  });

  test('training leaves the main thread free: no task over 50 ms, reports at most 10 a second', async (t) => {
    // Every long task (over 50 ms of wall time) from the page's start; buffered, so none is missed.
    const initScript = () => {
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
      }).observe({ type: 'longtask', buffered: true });
      // when the worker's reports of batches arrive (each updates body[data-batches])
      window.__reports = [];
      new MutationObserver(() => window.__reports.push(performance.now()))
        .observe(document, { attributes: true, subtree: true, attributeFilter: ['data-batches'] });
    };
    // long enough to be still training when the window ends (on two threads a 512-unit epoch takes under 2 s)
    const { page, errors } = await openFor(t, app, '?hidden=512&images=60000&epochs=20&batch=64', { initScript });
    // The page's load phase (parsing and compiling the app, fetching MNIST, the first layout of the views)
    // is not measured: only tasks from Start on count, since the claim is about training.
    // A trace of the main thread runs alongside: it tells a task's CPU time from its wall time.
    const trace = await traceMainThread(page);
    const from = await page.evaluate(() => performance.now());
    await page.click('#start');
    await waitForState(page, 'training');
    const before = await pollUntil(() => batchesDone(page), (n) => n > 0);
    await sleep(4000);
    const after = await batchesDone(page);
    const to = await page.evaluate(() => performance.now());
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'training', 'still training at the end of the window');
    // The instruments work: a deliberate 400 ms task on the main thread, after the measured window (a page
    // task from setTimeout: DevTools' own evaluate calls are not reported as long tasks). Long enough to get
    // 100 ms of CPU while the worker's two threads share the two cores with it.
    await page.evaluate(() => new Promise((resolve) => setTimeout(() => {
      const end = performance.now() + 400;
      while (performance.now() < end);
      resolve();
    }, 0)));
    await sleep(100);
    const tasks = await trace.stop();
    assert.ok(after - before > 50, `the run trained during the measurement (${before} → ${after} batches)`);

    // observers are told a little later, in a later task
    const longTasks = await pollUntil(() => page.evaluate(() => window.__longTasks),
      (list) => list.some((task) => task.start > to && task.duration >= 150), { timeout: 3000 });
    const probe = longTasks.filter((task) => task.start > to && task.duration >= 150);
    assert.equal(probe.length, 1, `the long-task observer saw the deliberate task: ${JSON.stringify(longTasks)}`);
    assert.ok(tasks.some((task) => task.start > to && task.cpu > 100), 'the trace saw the deliberate task\'s CPU time');

    const inWindow = (task) => task.start >= from && task.start <= to;
    const measured = longTasks.filter(inWindow);
    // The worker gathers its reports (each redraws the progress) to at most 10 a second, every batch in them.
    const reports = (await page.evaluate(() => window.__reports)).filter((at) => at >= from && at <= to);
    const seconds = (to - from) / 1000;
    assert.ok(reports.length <= seconds * 10 + 3, `${reports.length} reports of batches in ${seconds.toFixed(1)} s: at most 10 a second`);
    assert.ok(reports.length >= seconds * 4, `${reports.length} reports of batches in ${seconds.toFixed(1)} s: the progress moves`);
    const busy = tasks.filter((task) => inWindow(task) && task.cpu > 50);
    assert.deepEqual(busy, [], 'no main-thread task ran over 50 ms of CPU time while training');
    // A task over 50 ms of wall time is a failure, unless the trace shows it ran under 50 ms and spent the
    // rest waiting for a CPU (this machine has few cores and may be shared with other jobs). On a quiet
    // machine, E2E_STRICT_LONGTASKS=1 refuses every one of them.
    const explained = measured.map((long) => {
      const overlapping = tasks.filter((task) => task.start < long.start + long.duration + 2 && task.start + task.duration > long.start - 2);
      const same = overlapping.find((task) => task.duration >= 45);
      return { ...long, cpu: same?.cpu ?? null, waited: Boolean(same) && overlapping.every((task) => task.cpu <= 50) };
    });
    if (measured.length) console.log(`wall-clock long tasks while training (ms): ${JSON.stringify(explained)}`);
    if (process.env.E2E_STRICT_LONGTASKS === '1') {
      assert.deepEqual(measured, [], 'main-thread tasks over 50 ms while training');
    } else {
      const unexplained = explained.filter((long) => !long.waited);
      assert.deepEqual(unexplained, [], 'main-thread tasks over 50 ms while training that the trace does not show waiting for a CPU');
    }
    assertNoErrors(errors);
  });

  test('a digit drawn with the mouse gets a prediction and filled score bars', async (t) => {
    const { page, errors } = await openFor(t, app, `?${SHORT_RUN}&autostart`);
    await waitForState(page, 'done', 60_000);
    const blank = await drawReading(page);
    assert.doesNotMatch(blank.answer ?? '', /The network says: \d/, 'no answer before anything is drawn');

    await draw(page, ONE);
    const one = await waitForAnswer(page);
    assert.match(one.answer, /^The network says: \d$/);
    assert.equal(one.scores.filter(Boolean).length, 10, 'ten score bars #score-0..#score-9');
    const values = one.scores.map(scoreValue);
    assert.ok(values.every(Number.isFinite), `every score bar shows a number: ${JSON.stringify(one.scores)}`);
    const said = Number(/(\d)$/.exec(one.answer)[1]);
    assert.equal(Math.max(...values), values[said], `the answer ${said} has the highest score: ${JSON.stringify(values)}`);
    assert.ok(values[said] > 0, 'the winning bar has a score');
    const sum = values.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 100) < 1, `the bars show shares that add up to 100%: ${values.join(', ')}`);
    for (const [digit, score] of one.scores.entries()) {
      assert.equal(parseFloat(score.fill), Number(score.value), `bar ${digit}'s fill (${score.fill}) matches its score`);
    }
    // filled on screen: the winner's fill is drawn, wider than any other bar's
    const fills = await fillWidths(page);
    assert.ok(fills[said] > 10, `the winning bar's fill is drawn (${fills[said]} px)`);
    assert.equal(Math.max(...fills), fills[said], `fills: ${fills.join(', ')}`);
    assert.ok(await page.locator('#draw-preview').evaluate((canvas) => {
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let ink = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] > 128) ink++;
      return ink > 10;
    }), 'the 28×28 preview shows the stroke');
    assert.equal(said, 1, `a vertical stroke is a 1 to a network at >80% accuracy (it said ${said})`);
    await screenshot(page.locator('#draw-panel'), 'draw-one');

    // Clear empties the pad and the answer
    await page.click('#draw-clear');
    await pollUntil(() => drawReading(page), (reading) => !/The network says: \d/.test(reading.answer ?? ''), { timeout: 3000 });
    assert.doesNotMatch((await drawReading(page)).answer ?? '', /The network says: \d/, 'Clear removes the answer');
    assertNoErrors(errors);
  });

  test('a model saved in the browser loads back after a reload with the same predictions; a bad file is refused', async (t) => {
    const { page, errors } = await openFor(t, app, `?${SHORT_RUN}&autostart`);
    await waitForState(page, 'done', 60_000);
    const trained = await digitPredictions(page);
    assert.equal(trained.length, 40);
    await draw(page, SEVEN);
    const drawn = await waitForAnswer(page);
    await page.click('#save-browser');
    await page.waitForFunction(() => /Saved in this browser/.test(document.getElementById('model-message').textContent), null, { timeout: 10_000 });

    // same origin and profile: the same IndexedDB; a fresh worker with no model until Load
    await page.reload();
    await waitForDataReady(page);
    assert.equal(await page.locator('#load-browser').isEnabled(), true);
    await page.click('#load-browser');
    await page.waitForFunction(() => /^Loaded the 784-128-10 model/.test(document.getElementById('model-message').textContent), null, { timeout: 10_000 });
    const loaded = await pollUntil(() => digitPredictions(page), (labels) => labels.length === 40);
    assert.deepEqual(loaded, trained, 'the loaded model answers the sample digits as the saved one did');
    const accuracy = Number(await page.evaluate(() => document.body.dataset.testAccuracy));
    assert.ok(accuracy > 0.8, `the loaded model's test accuracy ${accuracy}`);
    await draw(page, SEVEN);
    const redrawn = await waitForAnswer(page);
    assert.deepEqual(redrawn, drawn, 'the same drawing gets the same answer and scores from the loaded model');

    // a garbage file is refused and the loaded model stays
    const message = page.locator('#model-message');
    await page.setInputFiles('#load-file', { name: 'garbage.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a scratchnet model'.repeat(20)) });
    await page.waitForFunction(() => /garbage\.bin/.test(document.getElementById('model-message').textContent), null, { timeout: 10_000 });
    assert.match(await message.textContent(), /garbage\.bin was not loaded: .+ The current model is kept\./);
    assert.equal(await message.evaluate((node) => node.classList.contains('error')), true, 'the refusal is shown as an error');
    await page.click('#draw-clear');
    await draw(page, SEVEN);
    assert.deepEqual(await waitForAnswer(page), drawn, 'the drawing gets the same answer and scores after the refused file');
    assert.deepEqual(await digitPredictions(page), trained, 'the sample digits keep their predictions after the refused file');
    assertNoErrors(errors);
  });

  test('the form refuses out-of-range settings and Start waits until they are fixed', async (t) => {
    const { page, errors } = await openFor(t, app, '?hidden=64&images=1000');
    const start = page.locator('#start');
    assert.equal(await start.isEnabled(), true);

    const refuse = async (field, value, pattern) => {
      await page.fill(`#${field}`, value);
      assert.equal(await start.isEnabled(), false, `Start is disabled with ${field}=${value}`);
      assert.equal(await page.getAttribute(`#${field}`, 'aria-invalid'), 'true', `${field}=${value} is marked invalid`);
      assert.match(await page.locator(`#${field}-error`).textContent(), pattern, `${field}=${value} gets an error message`);
      assert.equal(await page.getAttribute(`#${field}-error`, 'role'), 'alert');
    };
    const accept = async (field, value) => {
      await page.fill(`#${field}`, value);
      assert.equal(await page.getAttribute(`#${field}`, 'aria-invalid'), 'false', `${field}=${value} is accepted`);
      assert.equal(await page.locator(`#${field}-error`).textContent(), '', `${field}=${value} has no error message`);
    };

    await refuse('learningRate', '0', /above 0/);
    await refuse('learningRate', '-1', /above 0/);
    await accept('learningRate', '0.5');
    assert.equal(await start.isEnabled(), true, 'Start is enabled again once the learning rate is fixed');

    await refuse('batchSize', '0', /whole number from 1/);
    await refuse('hidden', 'abc', /whole numbers/);
    // Enter in a refused field does not start a run
    await page.press('#hidden', 'Enter');
    await sleep(300);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', 'no run starts with refused settings');
    await accept('batchSize', '32');
    assert.equal(await start.isEnabled(), false, 'Start stays disabled while hidden is still refused');
    await accept('hidden', '64');
    assert.equal(await start.isEnabled(), true, 'Start is enabled once every field is fixed');
    assertNoErrors(errors);
  });

  test('a failed MNIST download names the failure and offers a retry', async (t) => {
    const { page } = await openFor(t, app, '?data=/nowhere/', { waitForData: false });
    const retry = page.locator('#data-retry');
    await retry.waitFor({ state: 'visible', timeout: 20_000 });
    const status = await page.locator('#data-status').textContent();
    assert.match(status, /^Could not load MNIST: /);
    await sleep(300);
    assert.equal(await page.locator('#data-status').textContent(), status, 'the failure stays on screen (no late progress report overwrites it)');
    // vite preview answers a missing file with its index page (200, HTML), as SPA hosts do; a plain static
    // host answers 404. Either way the message must say where it looked.
    assert.match(status, /\/nowhere\/|(train|t10k)-(images|labels)-idx[13]-ubyte\.gz/, `the message names the file or its folder: ${status}`);
    assert.equal(await page.locator('#data-status').getAttribute('data-ready'), null);
    assert.equal(await page.locator('#start').isEnabled(), false, 'no training without data');
    await screenshot(page.locator('#data-panel'), 'download-failed');
    // Retry tries again (and fails again the same way)
    await retry.click();
    await retry.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match(await page.locator('#data-status').textContent(), /^Could not load MNIST: /);
    await sleep(300);
    assert.match(await page.locator('#data-status').textContent(), /^Could not load MNIST: /, 'the failure stays on screen after the retry');
  });

  test('an unreachable data server is named in the message', async (t) => {
    // a port nobody listens on: the connection is refused
    const port = await freePort();
    const { page } = await openFor(t, app, `?data=${encodeURIComponent(`http://127.0.0.1:${port}/mnist/`)}`, { waitForData: false });
    await page.locator('#data-retry').waitFor({ state: 'visible', timeout: 20_000 });
    const status = await page.locator('#data-status').textContent();
    assert.match(status, new RegExp(`^Could not load MNIST: could not download (train|t10k)-(images|labels)-idx[13]-ubyte\\.gz from http://127\\.0\\.0\\.1:${port}/mnist/`), status);
    assert.equal(await page.locator('#start').isEnabled(), false);
  });

  test('a run that diverges stops with a message', async (t) => {
    const { page, errors } = await openFor(t, app, '?loss=xent&lr=100&momentum=0.99&hidden=64&images=2000&autostart');
    await waitForState(page, 'diverged', 60_000);
    assert.match(await page.locator('#run-message').textContent(), /diverged/i);
    assert.equal(await page.locator('#pause').isEnabled(), false);
    assert.equal(await page.locator('#start').isEnabled(), true, 'a new run can be started after divergence');
    await screenshot(page.locator('#controls-panel'), 'diverged');
    // every view says the same: stopped by divergence, no time left being estimated, no speed
    assert.match(await text(page, '#summary'), /^Stopped in epoch 1 of 5: the loss diverged/);
    assert.equal(await text(page, '#progress-eta'), 'Stopped: the loss diverged');
    assert.equal(await text(page, '#progress-speed'), '');
    assert.match(await text(page, '#loss-caption'), /until the loss diverged$/);
    await screenshot(page.locator('#charts-panel'), 'diverged-charts');
    assertNoErrors(errors);
  });

  test('one status: every view agrees while idle, training, paused, stepping and training again', async (t) => {
    const { page, errors } = await openFor(t, app, '?hidden=256&images=60000&epochs=3&batch=64');
    const views = async () => ({
      summary: await text(page, '#summary'), epoch: await text(page, '#progress-epoch'),
      speed: await text(page, '#progress-speed'), eta: await text(page, '#progress-eta'),
    });
    assert.deepEqual(await views(), { summary: 'Not trained yet.', epoch: 'Not started', speed: '', eta: '' });

    await page.click('#start');
    await waitForState(page, 'training');
    await pollUntil(() => batchesDone(page), (n) => n >= 30);
    const training = await pollUntil(views, (v) => / left$/.test(v.eta));
    assert.equal(training.summary, 'Training epoch 1 of 3…', 'mid-epoch the summary says it is training, not "Not trained yet."');
    assert.equal(training.epoch, 'Epoch 1 of 3');
    assert.match(training.speed, /^[\d,]+ samples\/s$/);
    assert.match(training.eta, /^(A few seconds|About .+) left$/);

    await page.click('#pause');
    await waitForState(page, 'paused', 5000);
    await sleep(1200); // a late progress report must not bring the time left back
    const paused = await views();
    assert.deepEqual({ ...paused, epoch: undefined }, { summary: 'Paused in epoch 1 of 3.', epoch: undefined, speed: '', eta: 'Paused' },
      'paused: no time left, no stale speed');
    await screenshot(page.locator('#progress-panel'), 'status-paused');
    await page.click('#step');
    await pollUntil(() => batchesDone(page), (n) => n > 30);
    await sleep(300);
    assert.deepEqual({ ...(await views()), epoch: undefined }, { ...paused, epoch: undefined }, 'a step while paused keeps the paused words');

    await page.click('#resume');
    await waitForState(page, 'training', 5000);
    const resumed = await pollUntil(views, (v) => / left$/.test(v.eta));
    assert.match(resumed.eta, / left$/, 'training again: the time left is back');
    assert.equal(resumed.summary, 'Training epoch 1 of 3…');
    await page.click('#pause');
    await waitForState(page, 'paused', 5000);
    assertNoErrors(errors);
  });

  test('the draw pad names no class before training, nor one it is not sure of', async (t) => {
    // Without label smoothing: a network trained with it (the default) says yes to the dot's blob with its 8.
    const { page, errors } = await openFor(t, app, `?${SHORT_RUN}&label-smoothing=0`);
    await draw(page, ONE);
    await sleep(500);
    let reading = await drawReading(page);
    assert.equal(reading.answer, 'The network has not learned yet: train it first.');
    assert.equal(await page.locator('#draw-panel .is-top').count(), 0, 'no bar is marked as the answer');
    await screenshot(page.locator('#draw-panel'), 'draw-not-learned');

    await page.click('#start');
    await waitForState(page, 'done', 60_000);
    reading = await waitForAnswer(page); // the drawing is asked again once the network has learned
    assert.equal(reading.answer, 'The network says: 1');

    // A dot: the sigmoid outputs all say "not this class", though one has most of the (normalised) share.
    await page.click('#draw-clear');
    await draw(page, DOT);
    reading = await pollUntil(() => drawReading(page), (r) => /not sure/.test(r.answer ?? ''), { timeout: 5000 });
    assert.match(reading.answer, /^The network is not sure \(its best guess has \d+%\)$/);
    assert.equal(await page.locator('#draw-panel .is-top').count(), 0, 'no bar is marked as the answer');
    await screenshot(page.locator('#draw-panel'), 'draw-not-sure');
    assertNoErrors(errors);
  });
});
