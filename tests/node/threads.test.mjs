// The pthread build (SIMD kernels split across two threads) computes exactly what the one-thread build does:
// threads take whole rows and panels, so no sum changes order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineWithMnist, testImages } from './helpers.mjs';

async function run(flavor, batchSize) {
  const engine = await engineWithMnist(flavor, { trainLimit: 3000, testLimit: 1000 });
  engine.createModel({ sizes: [784, 256, 10], seed: 11 });
  engine.setOptions({ batchSize, learningRate: 1, momentum: 0.9 });
  const losses = [];
  for (let i = 0; i < 6; i++) losses.push(engine.train(10).loss);
  return { losses, evaluation: engine.evaluate('test'), scores: engine.predict(testImages(300)), model: engine.saveModel() };
}

// Batch 200 gives the first layer's step more inputs than one slab of its planned rows holds (gemm_driver.h).
for (const batchSize of [64, 200]) {
  test(`the threaded build gives bit-identical training, evaluation and predictions (batch ${batchSize})`, async () => {
    const single = await run('simd', batchSize);
    const threaded = await run('simd-threads', batchSize);
    assert.deepEqual(threaded.losses, single.losses);
    assert.deepEqual(threaded.evaluation, single.evaluation);
    assert.deepEqual(threaded.scores, single.scores);
    assert.deepEqual(threaded.model, single.model);
    assert.ok(single.losses.at(-1) < single.losses[0], 'and it learns');
  });
}
