// Comparing runs on the page (issue 15): after a second run the first stays on both charts as a faint, numbered
// overlay with its settings in a legend, until cleared; the loss chart has the test loss per epoch and dashed epoch
// markers; a tooltip at the point gives the values there, the earlier run's included.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoErrors, openFor, pollUntil, screenshot, sleep, useApp, waitForState } from './harness.mjs';

/** The overlay counts and marks the charts' plugins drew last (data attributes on the chart hosts). */
function drawn(page) {
  return page.evaluate(() => {
    const loss = document.getElementById('loss-chart').dataset;
    return {
      lossOverlays: Number(loss.overlays), accuracyOverlays: Number(document.getElementById('accuracy-chart').dataset.overlays),
      testLossPoints: Number(loss.testLossPoints), epochMarkers: Number(loss.epochMarkers),
    };
  });
}

/** The tooltip's text with the mouse over chart `id` at `fraction` of its plot's width. */
async function tipAt(page, id, fraction) {
  const box = await page.locator(`#${id} .u-over`).boundingBox();
  await page.mouse.move(box.x + fraction * box.width, box.y + box.height / 2);
  await sleep(100);
  return page.locator(`#${id} .chart-tip`).evaluate((tip) => (tip.hidden ? null : tip.textContent));
}

describe('comparing runs', () => {
  const app = useApp();

  test('two runs: the first as a labelled overlay on both charts, the test loss and epoch markers, tooltips, Clear', async (t) => {
    const { page, errors } = await openFor(t, app, '?hidden=64&images=2000&epochs=3&batch=64');
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.equal(await page.locator('#clear-runs').isHidden(), true, 'nothing to clear before a run');
    await page.click('#start');
    await waitForState(page, 'done', 60_000);
    const first = await pollUntil(() => drawn(page), (d) => d.testLossPoints === 3);
    assert.deepEqual(first, { lossOverlays: 0, accuracyOverlays: 0, testLossPoints: 3, epochMarkers: 2 },
      'one run: its test loss at each of 3 epochs, a marker between epochs, no overlay');
    const batches = Number(await page.evaluate(() => document.body.dataset.batches));

    // the second run, with another learning rate
    await page.fill('#learningRate', '0.2');
    await page.click('#start');
    await waitForState(page, 'done', 60_000);
    const second = await pollUntil(() => drawn(page), (d) => d.lossOverlays === 1 && d.testLossPoints === 3);
    assert.deepEqual(second, { lossOverlays: 1, accuracyOverlays: 1, testLossPoints: 3, epochMarkers: 2 }, 'the first run is an overlay on both charts');
    const legend = await page.$$eval('#run-legend li', (items) => items.map((item) => item.textContent));
    assert.equal(legend.length, 1);
    assert.match(legend[0], /^run 1: 64, L2, sgd lr 2, batch 64, 3 epochs, 2000 images, test accuracy \d+\.\d\d % after epoch 3$/, 'its settings and result');

    // Tooltips at the point: the loss chart at the end of the first epoch, and the accuracy chart at epoch 2.
    const perEpoch = batches / 3;
    const lossTip = await tipAt(page, 'loss-chart', perEpoch / batches);
    assert.match(lossTip ?? '', /^batch \d+: loss [\d.]+, smoothed [\d.]+\n(end of epoch 1: test loss [\d.]+\n)?run 1: smoothed [\d.]+$/, `loss tooltip: ${lossTip}`);
    const accuracyTip = await tipAt(page, 'accuracy-chart', 0.5);
    assert.match(accuracyTip ?? '', /^epoch 2: training \d+\.\d\d %, test \d+\.\d\d %\nrun 1: test \d+\.\d\d %$/, `accuracy tooltip: ${accuracyTip}`);
    await page.mouse.move(5, 5);
    await screenshot(page.locator('#charts-panel'), 'compare-runs');

    await page.click('#clear-runs');
    const cleared = await pollUntil(() => drawn(page), (d) => d.lossOverlays === 0);
    assert.deepEqual(cleared, { ...second, lossOverlays: 0, accuracyOverlays: 0 }, 'Clear removes the overlays and keeps the current run');
    assert.equal(await page.locator('#run-legend li').count(), 0);
    assert.equal(await page.locator('#clear-runs').isHidden(), true);
    assertNoErrors(errors);
  });
});
