// The same seed and settings give bit-identical weights and loss sequences on every run of a build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineWithMnist } from './helpers.mjs';

async function lossSequence(flavor, seed) {
  const engine = await engineWithMnist(flavor, { trainLimit: 2000, testLimit: 100 });
  engine.createModel({ sizes: [784, 128, 10], seed });
  engine.setOptions({ batchSize: 32, learningRate: 0.5, momentum: 0.9 });
  const losses = [];
  for (let i = 0; i < 8; i++) losses.push(engine.train(10).loss); // 80 batches: crosses an epoch (63 batches)
  const model = engine.saveModel();
  engine.dispose();
  return { losses, model };
}

for (const flavor of ['simd', 'scalar']) {
  test(`${flavor}: the same seed gives the identical loss sequence and weights twice`, async () => {
    const first = await lossSequence(flavor, 42);
    const second = await lossSequence(flavor, 42);
    assert.deepEqual(second.losses, first.losses);
    assert.deepEqual(second.model, first.model);
    const other = await lossSequence(flavor, 43);
    assert.notDeepEqual(other.losses, first.losses, 'another seed gives another run');
  });
}

test('one call of many batches reports each batch and trains as one call per batch does (deferred steps)', async () => {
  // In one call, first-layer rows whose pixels are zero in a batch and the next defer their momentum step
  // (DeferredSteps in cpp/core/kernels.h); a call per batch never defers. Same batches, same run, up to rounding.
  const runs = [];
  for (const batchesPerCall of [40, 1]) {
    const engine = await engineWithMnist('simd', { trainLimit: 3000, testLimit: 500 });
    engine.createModel({ sizes: [784, 256, 10], seed: 5 });
    engine.setOptions({ batchSize: 64, learningRate: 1, momentum: 0.9 });
    const losses = [];
    let samples = 0, weighted = 0;
    for (let done = 0; done < 80; done += batchesPerCall) {
      const summary = engine.train(batchesPerCall);
      assert.ok(summary.batchLosses instanceof Float32Array);
      assert.equal(summary.batchLosses.length, summary.batches);
      losses.push(...summary.batchLosses);
      samples += summary.samples;
      weighted += summary.loss * summary.samples;
    }
    runs.push({ losses, mean: weighted / samples, test: engine.evaluate('test') });
    engine.dispose();
  }
  const [deferred, stepwise] = runs;
  assert.equal(deferred.losses.length, 80);
  assert.deepEqual(deferred.losses.slice(0, 2), stepwise.losses.slice(0, 2), 'nothing can differ before a deferral');
  for (let i = 0; i < 80; i++) assert.ok(Math.abs(deferred.losses[i] - stepwise.losses[i]) <= 1e-4 * stepwise.losses[i] + 1e-7, `batch ${i}: ${deferred.losses[i]} vs ${stepwise.losses[i]}`);
  assert.ok(Math.abs(deferred.test.loss - stepwise.test.loss) <= 1e-4 * stepwise.test.loss);
  assert.ok(deferred.losses.some((loss, i) => loss !== stepwise.losses[i]), 'the long calls deferred something (else this tests nothing)');
});
