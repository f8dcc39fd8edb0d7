// The SIMD and scalar builds compute the same network: same losses and predictions within a stated
// tolerance (they sum in the same order today, but the contract is only "within float rounding").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineWithMnist, testImages } from './helpers.mjs';

const RELATIVE_TOLERANCE = 1e-4;

async function run(flavor) {
  const engine = await engineWithMnist(flavor, { trainLimit: 3000, testLimit: 1000 });
  engine.createModel({ sizes: [784, 64, 32, 10], output: 'softmax-xent', seed: 7 });
  engine.setOptions({ batchSize: 50, learningRate: 0.1, momentum: 0.9 });
  const losses = [];
  for (let i = 0; i < 10; i++) losses.push(engine.train(6).loss);
  const evaluation = engine.evaluate('test');
  const scores = engine.predict(testImages(20));
  return { backend: engine.backend, losses, evaluation, scores };
}

test('SIMD and scalar builds agree on losses, evaluation and predictions', async () => {
  const simd = await run('simd');
  const scalar = await run('scalar');
  assert.equal(simd.backend, 'wasm-simd128');
  assert.equal(scalar.backend, 'scalar');
  simd.losses.forEach((loss, i) => {
    assert.ok(Math.abs(loss - scalar.losses[i]) <= RELATIVE_TOLERANCE * Math.abs(scalar.losses[i]), `loss ${i}: ${loss} vs ${scalar.losses[i]}`);
  });
  assert.ok(Math.abs(simd.evaluation.accuracy - scalar.evaluation.accuracy) <= 0.002);
  assert.equal(simd.scores.length, 200);
  for (let i = 0; i < simd.scores.length; i++) {
    assert.ok(Math.abs(simd.scores[i] - scalar.scores[i]) <= 1e-4, `score ${i}: ${simd.scores[i]} vs ${scalar.scores[i]}`);
  }
  assert.ok(simd.losses.at(-1) < simd.losses[0], 'the network learns');
});
