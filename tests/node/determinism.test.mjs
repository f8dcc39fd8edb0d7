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
