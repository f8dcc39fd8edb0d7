// The pthread build (SIMD kernels split across two threads) computes exactly what the one-thread build does:
// threads take whole rows and panels, so no sum changes order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineWithMnist, testImages } from './helpers.mjs';

async function run(flavor) {
  const engine = await engineWithMnist(flavor, { trainLimit: 3000, testLimit: 1000 });
  engine.createModel({ sizes: [784, 256, 10], seed: 11 });
  engine.setOptions({ batchSize: 64, learningRate: 1, momentum: 0.9 });
  const losses = [];
  for (let i = 0; i < 6; i++) losses.push(engine.train(10).loss);
  return { losses, evaluation: engine.evaluate('test'), scores: engine.predict(testImages(300)), model: engine.saveModel() };
}

test('the threaded build gives bit-identical training, evaluation and predictions', async () => {
  const single = await run('simd');
  const threaded = await run('simd-threads');
  assert.deepEqual(threaded.losses, single.losses);
  assert.deepEqual(threaded.evaluation, single.evaluation);
  assert.deepEqual(threaded.scores, single.scores);
  assert.deepEqual(threaded.model, single.model);
  assert.ok(single.losses.at(-1) < single.losses[0], 'and it learns');
});
