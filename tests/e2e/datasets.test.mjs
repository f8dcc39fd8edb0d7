// The trainer with other data than MNIST, end to end in Chromium: Fashion-MNIST with its class names, the
// reader's own IDX files (good ones, and each kind of bad one), a loaded model trained further, and the
// learning rate that follows the chosen loss. Runs are short (a few thousand images, one epoch).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { idxFile } from '../node/synthetic-idx.mjs';
import { assertNoErrors, openFor, pollUntil, screenshot, useApp, waitForDataReady, waitForState } from './harness.mjs';

const FASHION_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const testAccuracy = (page) => page.evaluate(() => Number(document.body.dataset.testAccuracy));
const text = (page, selector) => page.locator(selector).textContent();

/** An IDX file of unsigned bytes (a Buffer, as the file input takes). */
const idx = (dims, data) => Buffer.from(idxFile(dims, data));

/**
 * A small set anyone could bring: 12×12 images of three classes (a horizontal bar, a vertical bar, a
 * diagonal) at varying places, with a little noise, from a fixed seed.
 */
function barsSet(count, seed) {
  const side = 12;
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pixels = new Uint8Array(count * side * side);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % 3;
    labels[n] = label;
    const at = 2 + Math.floor(random() * 8);
    const image = pixels.subarray(n * side * side, (n + 1) * side * side);
    for (let i = 0; i < image.length; i++) image[i] = random() < 0.05 ? 80 : 0;
    for (let k = 0; k < side; k++) {
      const [row, col] = label === 0 ? [at, k] : label === 1 ? [k, at] : [k, k];
      image[row * side + col] = 255;
    }
  }
  return { images: idx([count, side, side], pixels), labels: idx([count], labels) };
}

const trainSet = barsSet(600, 1);
const testSet = barsSet(150, 2);
/** The four files as a reader would pick them; one gzipped, the rest not. */
function ownFiles({ trainImages = trainSet.images, trainLabels = trainSet.labels, testImages = testSet.images, testLabels = testSet.labels } = {}) {
  return [
    { name: 'train-images-idx3-ubyte.gz', mimeType: 'application/gzip', buffer: gzipSync(trainImages) },
    { name: 'train-labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: trainLabels },
    { name: 't10k-images-idx3-ubyte', mimeType: 'application/octet-stream', buffer: testImages },
    { name: 't10k-labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: testLabels },
  ];
}

/** Picks files through the file input and waits until the page has read them (ready, or a message). */
async function pickOwnFiles(page, files) {
  await page.evaluate(() => {
    window.__ownMessage = document.getElementById('own-files-message').textContent;
    window.__dataStatus = document.getElementById('data-status').textContent;
  });
  await page.setInputFiles('#own-files-input', files);
  await page.waitForFunction(() => {
    const status = document.getElementById('data-status').textContent;
    return !/^Reading/.test(status) && (document.getElementById('data-status').hasAttribute('data-ready')
      || document.getElementById('own-files-message').textContent !== window.__ownMessage || status !== window.__dataStatus);
  }, null, { timeout: 20_000, polling: 50 });
}

describe('other data sets', () => {
  const app = useApp();

  test('Fashion-MNIST, chosen in the data panel, trains one epoch and names its classes', async (t) => {
    const { page, errors } = await openFor(t, app, '?hidden=64&images=5000&epochs=1&loss=xent');
    assert.equal(await page.isVisible('#draw-panel'), true, 'MNIST has the draw pad');
    await page.selectOption('#dataset', 'fashion-mnist');
    await waitForDataReady(page);
    assert.match(page.url(), /[?&]dataset=fashion-mnist/, 'the choice goes into the URL, so a reload keeps it');
    assert.match(await text(page, '#data-status'), /^Fashion-MNIST ready: 60,000 training and 10,000 test images of 28×28 pixels, 10 classes/);
    assert.equal(await page.isHidden('#draw-panel'), true, 'no draw pad for clothes');
    await page.click('#start');
    await waitForState(page, 'done', 60_000);
    const accuracy = await testAccuracy(page);
    assert.ok(accuracy > 0.65, `one short epoch on Fashion-MNIST reaches well above chance (10%): ${accuracy}`);

    const labels = await page.$$eval('#digit-grid [role="img"][aria-label]', (tiles) => tiles.filter((tile) => !tile.hidden).map((tile) => tile.getAttribute('aria-label')));
    assert.equal(labels.length, 40);
    const names = FASHION_NAMES.map((name) => name.replace('/', '\\/')).join('|');
    for (const label of labels) assert.match(label, new RegExp(`^true (${names}), predicted (${names}), (right|wrong)$`));
    const rowHeads = await page.$$eval('#confusion tbody th', (cells) => cells.map((cell) => cell.textContent));
    assert.deepEqual(rowHeads, FASHION_NAMES.map((name, label) => `${label} ${name}`), 'the confusion matrix names its rows');
    await screenshot(page, 'fashion-mnist-done', { fullPage: true });
    assertNoErrors(errors);
  });

  test('?dataset=fashion-mnist in the embed\'s iframe form loads Fashion-MNIST (its subset, on Start)', async (t) => {
    const { page, errors } = await openFor(t, app, 'embed.html?dataset=fashion-mnist&panels=data,controls&hidden=32&images=2000&epochs=1', { waitForData: false });
    const trainer = page.locator('scratchnet-trainer');
    await pollUntil(() => trainer.locator('#start').isEnabled(), Boolean, { timeout: 30_000 });
    assert.match(await trainer.locator('#data-status').textContent(), /^Fashion-MNIST downloads when training starts \(\d+\.\d MB\)\.$/);
    await trainer.locator('#start').click();
    await trainer.locator('#data-status[data-ready]').waitFor({ state: 'attached', timeout: 30_000 });
    assert.match(await trainer.locator('#data-status').textContent(), /^Fashion-MNIST ready: 10,000 training and 10,000 test images/);
    assert.equal(await trainer.locator('#dataset').inputValue(), 'fashion-mnist');
    assertNoErrors(errors);
  });

  test('your own IDX files: picked, checked, trained on, kept across a reload, and forgotten', async (t) => {
    const { page, errors } = await openFor(t, app, '?dataset=own&hidden=32&epochs=3&batch=32&loss=xent', { waitForData: false });
    await page.waitForFunction(() => /Choose or drop your four IDX files/.test(document.getElementById('data-status').textContent), null, { timeout: 20_000 });
    assert.equal(await page.locator('#start').isEnabled(), false, 'no training without data');

    await pickOwnFiles(page, ownFiles().slice(0, 2));
    assert.match(await text(page, '#data-status'), /2 more files to go/);
    assert.match(await text(page, '#own-files-list'), /training images: train-images-idx3-ubyte\.gz/);
    await pickOwnFiles(page, ownFiles().slice(2));
    assert.match(await text(page, '#data-status'), /^Your files ready: 600 training and 150 test images of 12×12 pixels, 3 classes/);
    assert.equal(await page.isHidden('#draw-panel'), true, 'no draw pad for 12×12 images');

    await page.click('#start');
    await waitForState(page, 'done', 60_000);
    const accuracy = await testAccuracy(page);
    assert.ok(accuracy > 0.9, `bars are easy: ${accuracy}`);
    const matrix = await page.$$eval('#confusion tbody tr', (rows) => rows.map((row) => row.querySelectorAll('td:not(.confusion-table-accuracy)').length));
    assert.deepEqual(matrix, [3, 3, 3], 'a 3×3 confusion matrix');
    const labels = await page.$$eval('#digit-grid [role="img"][aria-label]', (tiles) => tiles.filter((tile) => !tile.hidden).map((tile) => tile.getAttribute('aria-label')));
    assert.equal(labels.length, 40);
    for (const label of labels) assert.match(label, /^true [0-2], predicted [0-2], (right|wrong)$/);
    const tile = await page.$eval('#weight-tiles canvas.weight-tiles-tile:not([hidden])', (canvas) => [canvas.width, canvas.height]);
    assert.deepEqual(tile, [12, 12], 'weight tiles at the images\' own size');
    await screenshot(page, 'own-files-done', { fullPage: true });

    // kept in this browser: a reload does not ask again
    await page.reload();
    await waitForDataReady(page);
    assert.match(await text(page, '#data-status'), /^Your files ready: 600 training.*kept in this browser/);
    assert.equal(await page.isVisible('#own-files-forget'), true);
    await page.click('#own-files-forget');
    await page.waitForFunction(() => /Choose or drop your four IDX files/.test(document.getElementById('data-status').textContent), null, { timeout: 20_000 });
    assert.equal(await page.locator('#start').isEnabled(), false);
    await page.reload();
    await page.waitForFunction(() => /Choose or drop your four IDX files/.test(document.getElementById('data-status').textContent), null, { timeout: 20_000 });
    assertNoErrors(errors);
  });

  test('bad own files are refused with a message naming the file and why', async (t) => {
    const { page, errors } = await openFor(t, app, '?dataset=own&hidden=32&epochs=1', { waitForData: false });
    await page.waitForFunction(() => /Choose or drop/.test(document.getElementById('data-status').textContent), null, { timeout: 20_000 });
    const refused = async (files, pattern) => {
      await pickOwnFiles(page, files);
      const message = await text(page, '#own-files-message');
      assert.match(message, pattern);
      assert.equal(await page.locator('#data-status').getAttribute('data-ready'), null, `not ready after: ${message}`);
      assert.equal(await page.locator('#start').isEnabled(), false);
      assert.match(await text(page, '#data-status'), /not loaded/);
    };

    const wrongMagic = Buffer.from(trainSet.images);
    wrongMagic[0] = 0x12;
    wrongMagic[1] = 0x34;
    await refused(ownFiles({ trainImages: wrongMagic }), /^train-images-idx3-ubyte\.gz \(the training images\): not an IDX file/);

    await refused(ownFiles({ testLabels: idx([149], testSet.labels.subarray(8, 8 + 149)) }),
      /^t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte \(the test images and labels\): the images file holds 150 images but the labels file holds 149 labels/);

    await refused(ownFiles({ testImages: testSet.images.subarray(0, 1000) }), /^t10k-images-idx3-ubyte \(the test images\): .*truncated/);

    const brokenGzip = ownFiles();
    brokenGzip[0] = { ...brokenGzip[0], buffer: brokenGzip[0].buffer.subarray(0, 200) };
    await refused(brokenGzip, /^train-images-idx3-ubyte\.gz: the gzip data is corrupt/);

    // one good file in place of the bad one is enough: the other three are still there
    await pickOwnFiles(page, ownFiles().slice(0, 1));
    assert.match(await text(page, '#data-status'), /^Your files ready: 600 training and 150 test images/);
    assert.equal(await text(page, '#own-files-message'), '');
    assertNoErrors(errors);
  });

  test('a loaded model trains on with new settings; Start says it continues, Reset starts fresh', async (t) => {
    const { page, errors } = await openFor(t, app, '?hidden=64&images=5000&epochs=1&loss=xent&autostart');
    await waitForState(page, 'done', 60_000);
    const first = await testAccuracy(page);
    await page.click('#save-browser');
    await page.waitForFunction(() => /Saved in this browser/.test(document.getElementById('model-message').textContent), null, { timeout: 10_000 });

    await page.goto(new URL('?hidden=256&images=5000&epochs=1&optimizer=adam', app.url).href);
    await waitForDataReady(page);
    assert.equal(await page.inputValue('#learningRate'), '0.001', 'Adam brings its own suggested rate');
    await page.click('#load-browser');
    await page.waitForFunction(() => /^Loaded the 784-64-10 model/.test(document.getElementById('model-message').textContent), null, { timeout: 10_000 });
    assert.equal(await page.inputValue('#hidden'), '64', 'the form shows the loaded model\'s layer sizes');
    assert.equal(await page.locator('#hidden').evaluate((input) => input.readOnly), true, 'read-only while the model is kept');
    assert.equal(await page.inputValue('#output'), 'softmax-xent');
    assert.equal(await page.locator('#output').isDisabled(), true);
    assert.equal((await text(page, '#start')).trim(), 'Continue training');
    assert.match(await text(page, '#model-note'), /Loaded model 784-64-10 .*Continue training trains it further.*Reset starts a fresh network/);
    const loaded = await testAccuracy(page);
    assert.ok(Math.abs(loaded - first) < 1e-9, `the loaded model's accuracy ${loaded} is the saved one's ${first}`);

    await page.click('#start');
    await waitForState(page, 'training');
    assert.match(await text(page, '#summary'), /Continuing the loaded 784-64-10 model for 1 epoch|Epoch 1 of 1/);
    await waitForState(page, 'done', 60_000);
    const continued = await testAccuracy(page);
    assert.ok(continued > 0.85 && continued > first - 0.02, `trained on from ${first}: ${continued}`);
    assert.equal((await text(page, '#start')).trim(), 'Continue training', 'the loaded model is still the one Start trains');

    await page.click('#reset');
    await pollUntil(() => text(page, '#summary'), (summary) => /reset to fresh random weights/.test(summary));
    assert.equal((await text(page, '#start')).trim(), 'Start');
    assert.equal(await page.locator('#hidden').evaluate((input) => input.readOnly), false);
    assert.equal(await page.locator('#model-note').isHidden(), true);
    assertNoErrors(errors);
  });

  test('softmax + cross-entropy at its suggested rate learns, and the rate follows the loss unless typed', async (t) => {
    const { page, errors } = await openFor(t, app, '?hidden=128&images=5000&epochs=1');
    assert.equal(await page.inputValue('#learningRate'), '2');
    await page.selectOption('#output', 'softmax-xent');
    assert.equal(await page.inputValue('#learningRate'), '0.1', 'the suggested rate comes with the loss');
    assert.match(await text(page, '#learningRate-suggestion'), /Learning rate set to 0\.1, the suggestion for softmax \+ cross-entropy/);

    await page.fill('#learningRate', '0.5');
    await page.selectOption('#output', 'sigmoid-l2');
    assert.equal(await page.inputValue('#learningRate'), '0.5', 'a typed rate is kept');
    assert.match(await text(page, '#learningRate-suggestion'), /Suggested for sigmoid \+ L2: 2 \(your 0\.5 is kept\)/);
    await page.click('#use-suggested-rate');
    assert.equal(await page.inputValue('#learningRate'), '2');

    await page.selectOption('#output', 'softmax-xent');
    assert.equal(await page.inputValue('#learningRate'), '0.1');
    await page.click('#start');
    await waitForState(page, 'done', 60_000);
    const accuracy = await testAccuracy(page);
    assert.ok(accuracy > 0.85, `softmax + cross-entropy at its default rate learns in one short epoch: ${accuracy}`);
    assertNoErrors(errors);
  });
});

describe('own files of another shape', () => {
  const app = useApp();

  test('thirty classes get a heat map, not a table; a model made for MNIST is refused and the current one kept', async (t) => {
    // 8×8 images whose label is where a single bright pixel sits (30 places)
    const set = (count) => {
      const pixels = new Uint8Array(count * 64);
      const labels = new Uint8Array(count);
      for (let n = 0; n < count; n++) {
        labels[n] = n % 30;
        pixels[n * 64 + 2 * (n % 30)] = 255;
      }
      return { images: idx([count, 8, 8], pixels), labels: idx([count], labels) };
    };
    const many = set(600);
    const few = set(120);
    const { page, errors } = await openFor(t, app, '?hidden=16&epochs=1&batch=16&loss=xent');
    // a model of MNIST's shape, saved while MNIST is loaded
    await page.click('#step');
    await pollUntil(() => page.evaluate(() => document.body.dataset.batches), (batches) => batches === '1');
    const mnistModel = await page.evaluate(async () => {
      const link = new Promise((resolve) => {
        const original = HTMLAnchorElement.prototype.click;
        HTMLAnchorElement.prototype.click = function click() {
          HTMLAnchorElement.prototype.click = original;
          fetch(this.href).then((response) => response.arrayBuffer()).then((buffer) => resolve([...new Uint8Array(buffer)]));
        };
      });
      document.getElementById('download-model').click();
      return link;
    });
    assert.ok(mnistModel.length > 1000, 'the MNIST model was downloaded');

    await page.selectOption('#dataset', 'own');
    await page.waitForFunction(() => /Choose or drop/.test(document.getElementById('data-status').textContent), null, { timeout: 20_000 });
    await pickOwnFiles(page, ownFiles({ trainImages: many.images, trainLabels: many.labels, testImages: few.images, testLabels: few.labels }));
    assert.match(await text(page, '#data-status'), /^Your files ready: 600 training and 120 test images of 8×8 pixels, 30 classes/);
    await page.click('#start');
    await waitForState(page, 'done', 60_000);
    assert.equal(await page.locator('#confusion table').count(), 0, 'no table of 900 numbers');
    const heatMap = await page.$eval('#confusion canvas.confusion-heat-map', (canvas) => [canvas.width, canvas.height]);
    assert.deepEqual(heatMap, [30, 30]);
    assert.match(await text(page, '#confusion .confusion-view-note'), /30 classes/);
    const accuracy = await testAccuracy(page);

    await page.setInputFiles('#load-file', { name: 'mnist-model.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(mnistModel) });
    await page.waitForFunction(() => /mnist-model\.bin/.test(document.getElementById('model-message').textContent), null, { timeout: 10_000 });
    assert.match(await text(page, '#model-message'), /mnist-model\.bin was not loaded: .+ The current model is kept\./);
    assert.equal(await testAccuracy(page), accuracy, 'the trained model stays');
    assert.equal((await text(page, '#start')).trim(), 'Start', 'no loaded model to continue');
    await screenshot(page.locator('#confusion-panel'), 'own-files-heat-map');
    assertNoErrors(errors);
  });

  test('rows of features and wide images: every panel shows what fits, none breaks', async (t) => {
    // label = which third of the values is bright; as 1-D samples of 24 values, then as 6×18 images
    const set = (count, dims) => {
      const size = dims.slice(1).reduce((a, b) => a * b, 1);
      const pixels = new Uint8Array(count * size);
      const labels = new Uint8Array(count);
      for (let n = 0; n < count; n++) {
        labels[n] = n % 3;
        for (let i = 0; i < size; i++) pixels[n * size + i] = Math.floor((3 * i) / size) === n % 3 ? 200 + (n % 50) : n % 7;
      }
      return { images: idx([count, ...dims.slice(1)], pixels), labels: idx([count], labels) };
    };
    const { page, errors } = await openFor(t, app, '?dataset=own&hidden=8&epochs=2&batch=16&loss=xent', { waitForData: false });
    await page.waitForFunction(() => /Choose or drop|ready/.test(document.getElementById('data-status').textContent), null, { timeout: 20_000 });

    const flat = { train: set(300, [0, 24]), test: set(60, [0, 24]) };
    await pickOwnFiles(page, ownFiles({ trainImages: flat.train.images, trainLabels: flat.train.labels, testImages: flat.test.images, testLabels: flat.test.labels }));
    assert.match(await text(page, '#data-status'), /^Your files ready: 300 training and 60 test samples of 24 values, 3 classes/);
    await page.click('#start');
    await waitForState(page, 'done', 60_000);
    assert.ok(await testAccuracy(page) > 0.9);
    assert.equal(await page.locator('#digit-grid canvas:visible').count(), 0, 'no pictures of 1-D samples');
    assert.match(await text(page, '#digit-grid'), /^\d+ of 40 wrong\. Under each sample/);
    assert.match(await text(page, '#weight-tiles'), /24 inputs are not an image/);
    assert.equal(await page.isHidden('#draw-panel'), true);

    const wide = { train: set(300, [0, 6, 18]), test: set(60, [0, 6, 18]) };
    await pickOwnFiles(page, ownFiles({ trainImages: wide.train.images, trainLabels: wide.train.labels, testImages: wide.test.images, testLabels: wide.test.labels }));
    assert.match(await text(page, '#data-status'), /^Your files ready: 300 training and 60 test images of 6×18 pixels, 3 classes/);
    await page.click('#start');
    await waitForState(page, 'done', 60_000);
    const tile = await page.$eval('#weight-tiles canvas.weight-tiles-tile:not([hidden])', (canvas) => {
      const box = canvas.getBoundingClientRect();
      return { width: canvas.width, height: canvas.height, ratio: box.width / box.height };
    });
    assert.equal(tile.width, 18);
    assert.equal(tile.height, 6);
    assert.ok(Math.abs(tile.ratio - 3) < 0.1, `a weight tile keeps the images' 3:1 shape on screen: ${tile.ratio}`);
    const digit = await page.$eval('#digit-grid canvas', (canvas) => canvas.clientWidth / canvas.clientHeight); // inside its frame
    assert.ok(Math.abs(digit - 3) < 0.2, `a sample image keeps its 3:1 shape: ${digit}`);
    await screenshot(page, 'own-files-wide', { fullPage: true });
    assertNoErrors(errors);
  });
});
