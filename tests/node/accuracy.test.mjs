// Learning for real: one epoch on a 5,000-image slice of MNIST, tested on all 10,000 test images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MODEL, DEFAULT_OPTIONS } from '../../web/src/engine/engine.js';
import { engineWithMnist } from './helpers.mjs';

test('the default network reaches at least 90% test accuracy after one epoch on 5,000 images', async () => {
  const engine = await engineWithMnist('simd', { trainLimit: 5000 });
  const info = engine.createModel(DEFAULT_MODEL);
  assert.deepEqual(info.sizes, [784, 2048, 10]);
  assert.equal(info.output, 'sigmoid-l2');
  engine.setOptions(DEFAULT_OPTIONS);
  const summary = engine.train(Math.ceil(5000 / DEFAULT_OPTIONS.batchSize));
  assert.equal(summary.epoch, 1, 'exactly one epoch ran');
  assert.equal(summary.samples, 5000);
  const evaluation = engine.evaluate('test');
  assert.equal(evaluation.count, 10000);
  assert.ok(evaluation.accuracy >= 0.9, `test accuracy ${evaluation.accuracy}`);
  // The confusion matrix accounts for every test image, and its diagonal is the accuracy.
  assert.equal(evaluation.confusion.reduce((a, b) => a + b, 0), 10000);
  const diagonal = [...Array(10).keys()].reduce((sum, i) => sum + evaluation.confusion[i * 11], 0);
  assert.equal(diagonal, Math.round(evaluation.accuracy * 10000));
});
