// Share and export (issue 15): the URL follows the settings, so a link reproduces a run; the metrics download as
// CSV whose rows are the charts' points; each chart downloads as a PNG; the model downloads as ONNX.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { assertNoErrors, openFor, pollUntil, useApp, waitForState } from './harness.mjs';

/** Clicks `selector` and returns the downloaded file's name and bytes. */
async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), page.click(selector)]);
  return { name: file.suggestedFilename(), bytes: fs.readFileSync(await file.path()) };
}

/** The CSV as objects, one per row, by its header. */
function parseCsv(text) {
  const [header, ...lines] = text.trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => {
    const cells = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g).map((cell) => cell.replace(/,$/, '').replace(/^"|"$/g, '').replaceAll('""', '"'));
    return Object.fromEntries(names.map((name, i) => [name, cells[i]]));
  });
}

/** Moves the mouse over chart `id` at `fraction` of its plot's width and reads uPlot's legend there. */
async function legendAt(page, id, fraction) {
  const over = page.locator(`#${id} .u-over`);
  const box = await over.boundingBox();
  await page.mouse.move(box.x + fraction * box.width, box.y + box.height / 2);
  return page.$$eval(`#${id} .u-legend .u-series`, (rows) => rows.map((row) => row.querySelector('.u-value')?.textContent ?? ''));
}

/** The loss as the chart's legend writes it (training-charts.ts: lossFormat). */
const lossText = (value) => (value < 0.01 ? value.toPrecision(2) : value.toPrecision(3));

describe('share and export', () => {
  const app = useApp();

  test('the URL follows the settings, and opening it reproduces the run to the last digit', async (t) => {
    const { page, errors } = await openFor(t, app, '?hidden=64&images=2000&epochs=1');
    await page.fill('#learningRate', '0.5');
    await page.fill('#batchSize', '32');
    await page.click('.more-settings summary');
    await page.fill('#seed', '5');
    await page.selectOption('#schedule', 'constant');
    const query = new URL(page.url()).searchParams;
    assert.deepEqual(Object.fromEntries(query), {
      hidden: '64', lr: '0.5', momentum: '0.9', batch: '32', epochs: '1', seed: '5', images: '2000', schedule: 'constant',
    }, `the URL says every setting that is not the default: ${page.url()}`);
    await page.click('#start');
    await waitForState(page, 'done', 60_000);
    const first = await page.evaluate(() => ({ accuracy: document.body.dataset.testAccuracy, batches: document.body.dataset.batches }));

    const { page: again, errors: againErrors } = await openFor(t, app, page.url().replace(app.url, ''));
    const form = await again.evaluate(() => Object.fromEntries(['hidden', 'learningRate', 'batchSize', 'seed', 'schedule', 'trainLimit', 'epochs']
      .map((id) => [id, document.getElementById(id).value])));
    assert.deepEqual(form, { hidden: '64', learningRate: '0.5', batchSize: '32', seed: '5', schedule: 'constant', trainLimit: '2000', epochs: '1' });
    await again.click('#start');
    await waitForState(again, 'done', 60_000);
    const second = await again.evaluate(() => ({ accuracy: document.body.dataset.testAccuracy, batches: document.body.dataset.batches }));
    assert.deepEqual(second, first, 'the same settings and seed learn the same network: the same test accuracy');
    assertNoErrors(errors);
    assertNoErrors(againErrors, 'the page opened from the link');
  });

  test('the CSV has a row per point of the charts, with the values their legends show', async (t) => {
    const { page, errors } = await openFor(t, app, '?hidden=64&images=2000&epochs=2&autostart');
    await waitForState(page, 'done', 60_000);
    const { name, bytes } = await download(page, '#export-csv');
    assert.equal(name, 'scratchnet-metrics.csv');
    const rows = parseCsv(bytes.toString('utf8'));
    const batchRows = rows.filter((row) => row.kind === 'batch');
    const epochRows = rows.filter((row) => row.kind === 'epoch');
    const points = Number(await page.getAttribute('#loss-chart', 'data-points'));
    assert.equal(batchRows.length, points, 'a row per point of the loss chart');
    assert.deepEqual(batchRows.map((row) => Number(row.batch)), Array.from({ length: points }, (_, i) => i + 1));
    assert.equal(epochRows.length, 2, 'a row per epoch');
    assert.equal(epochRows[1].test_accuracy, await page.evaluate(() => document.body.dataset.testAccuracy), 'the last epoch\'s test accuracy');
    assert.match(rows[0].settings, /^64, L2, sgd lr [\d.]+, batch 64, 2 epochs, 2000 images$/);

    // The loss chart at three places: the legend's batch and raw loss are that batch's row.
    for (const fraction of [0.1, 0.5, 0.9]) {
      const [batch, raw] = await legendAt(page, 'loss-chart', fraction);
      const row = batchRows[Number(batch) - 1];
      assert.ok(row, `the legend points at batch ${batch}`);
      assert.equal(raw, lossText(Number(row.loss)), `batch ${batch}: the chart shows ${raw}, the CSV ${row.loss}`);
    }
    // The accuracy chart at each epoch: its train and test percentages are the epoch rows'.
    for (const [i, fraction] of [[0, 0.25], [1, 0.75]]) {
      const [epoch, train, test] = await legendAt(page, 'accuracy-chart', fraction);
      assert.equal(epoch, epochRows[i].epoch);
      assert.equal(train, `${(100 * Number(epochRows[i].train_accuracy)).toFixed(2)} %`);
      assert.equal(test, `${(100 * Number(epochRows[i].test_accuracy)).toFixed(2)} %`);
    }
    assertNoErrors(errors);
  });

  test('each chart downloads as a PNG of its canvas; the model as ONNX', async (t) => {
    const { page, errors } = await openFor(t, app, '?hidden=64&images=2000&epochs=1&autostart');
    assert.equal(await page.locator('#export-onnx').isDisabled(), await page.locator('#download-model').isDisabled(), 'ONNX when Download is');
    await waitForState(page, 'done', 60_000);
    for (const [button, chart, file] of [['#export-loss-png', '#loss-chart', 'scratchnet-loss.png'], ['#export-accuracy-png', '#accuracy-chart', 'scratchnet-accuracy.png']]) {
      const { name, bytes } = await download(page, button);
      assert.equal(name, file);
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file} is a PNG`);
      const canvas = await page.$eval(`${chart} .uplot canvas`, (c) => ({ width: c.width, height: c.height }));
      const width = bytes.readUInt32BE(16);
      const height = bytes.readUInt32BE(20);
      assert.equal(width, canvas.width, `${file} is as wide as the chart`);
      assert.ok(height > canvas.height && height < canvas.height + 80, `${file}: the chart and its caption (${height} px for a ${canvas.height} px chart)`);
      assert.ok(bytes.length > 3000, `${file} has a drawing in it (${bytes.length} bytes)`);
    }

    assert.equal(await page.locator('#export-onnx').isEnabled(), true);
    const { name, bytes } = await download(page, '#export-onnx');
    assert.equal(name, 'scratchnet-model.onnx');
    // ModelProto: field 1 (ir_version) as a varint, then field 2 (producer_name) "scratchnet"
    assert.deepEqual([...bytes.subarray(0, 4)], [0x08, 0x07, 0x12, 0x0a], 'ONNX protobuf: ir_version 7, then the producer name');
    assert.equal(bytes.subarray(4, 14).toString('latin1'), 'scratchnet');
    const weights = 4 * (784 * 64 + 64 + 64 * 10 + 10);
    assert.ok(bytes.length > weights && bytes.length < weights + 64 * 1024, `${bytes.length} bytes for ${weights} bytes of float weights`);
    assert.match(await pollUntil(() => page.locator('#model-message').textContent(), (text) => /onnx/.test(text)), /^Downloaded scratchnet-model\.onnx \(0\.2 MB\)\.$/);
    assertNoErrors(errors);
  });
});
