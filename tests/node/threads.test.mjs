// The pthread build (SIMD kernels split across two threads) computes exactly what the one-thread build does:
// however the threads share a kernel's rows or columns, each output element is summed by one of them, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invertedNoisy } from '../../scripts/lib/pixel-maps.mjs';
import { engineWithMnist, testImages } from './helpers.mjs';
import { loadNodeEngine } from '../../web/src/engine/node.js';

// Counted as the parts run, not as asked for: a build that silently ran one thread would make every other test
// here pass while proving nothing.
test('the pthread build runs its kernels on two threads, the others on one', async () => {
  assert.equal((await loadNodeEngine('simd-threads')).threads, 2);
  assert.equal((await loadNodeEngine('simd')).threads, 1);
  assert.equal((await loadNodeEngine('scalar')).threads, 1);
});

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

// Odd shapes: a batch of one, tails of column blocks, two hidden layers with softmax, no hidden layer, a batch
// of 1,000 (slabs of 65 planned rows), and first layers the steps write and run the next batch through chunk by
// chunk, each thread its own columns (784-400: with a ragged end, and 80 batches across an epoch's end; the
// default 784-2048): each trains, scores and saves the same bits on one thread and on two.
test('the threaded build gives bit-identical results on odd network shapes and batch sizes', async () => {
  const shapes = [
    { sizes: [784, 16, 10], batch: 1 }, { sizes: [784, 33, 10], batch: 7 },
    { sizes: [784, 100, 50, 10], batch: 33, output: 'softmax-xent' }, { sizes: [784, 10], batch: 17 },
    { sizes: [784, 512, 10], batch: 1000 }, { sizes: [784, 400, 10], batch: 50, batches: 20 },
    { sizes: [784, 2048, 10], batch: 64 },
    // Centred inputs, all non-zero: around their background (input_background.h), the sparse kernels on the rest.
    { sizes: [784, 300, 10], batch: 64, scaling: 'standard' }, { sizes: [784, 2048, 10], batch: 37, scaling: 'standard' },
    // Inverted, with no common value: the dense tiles (kernels/f32_gemm_dense_wasmsimd.cpp), split by columns.
    { sizes: [784, 2048, 10], batch: 64, pixels: invertedNoisy }, { sizes: [784, 300, 10], batch: 19, pixels: invertedNoisy },
    // Adam's fused step and forward, its rows split between the threads as SGD's.
    { sizes: [784, 2048, 10], batch: 64, optimizer: 'adam' },
  ];
  for (const shape of shapes) {
    const results = [];
    for (const flavor of ['simd', 'simd-threads']) {
      const engine = await engineWithMnist(flavor, { trainLimit: 3000, testLimit: 300, pixels: shape.pixels });
      engine.createModel({ sizes: shape.sizes, seed: 3, ...(shape.output && { output: shape.output }), ...(shape.scaling && { scaling: shape.scaling }) });
      assert.equal(engine.info().inputBackground, shape.scaling === 'standard', JSON.stringify(shape.sizes));
      engine.setOptions({ batchSize: shape.batch, learningRate: 0.1, momentum: 0.9, ...(shape.optimizer && { optimizer: shape.optimizer, learningRate: 0.001 }) });
      const losses = [];
      for (let i = 0; i < 4; i++) losses.push(...engine.train(shape.batches ?? (shape.batch >= 1000 ? 2 : 9)).batchLosses);
      results.push({ losses, model: engine.saveModel(), evaluation: engine.evaluate('test') });
      engine.dispose();
    }
    assert.deepEqual(results[1], results[0], JSON.stringify({ ...shape, pixels: shape.pixels?.name }));
  }
});

// The default network's first layer steps and runs the next batch in two runs of its rows, a thread each, and the
// thread that ends its run first works on the other's last chunk (kernels_wasmsimd.cpp: SharedLastChunk): which
// rows and samples each thread takes there changes from batch to batch with their timing, so many batches, every
// one of which must give the one-thread bits. A thread that ran the chunk's forward before every row was stepped,
// or before the earlier chunks' sums were in place, fails here.
test('the threads share each run of the first layer\'s rows to the one-thread bits, batch after batch', async () => {
  for (const optimizer of ['sgd', 'adam']) {
    const results = [];
    for (const flavor of ['simd', 'simd-threads']) {
      const engine = await engineWithMnist(flavor, { trainLimit: 12000, testLimit: 100 });
      engine.createModel({ seed: 5 });
      engine.setOptions({ batchSize: 64, optimizer, ...(optimizer === 'adam' && { learningRate: 0.001 }) });
      const losses = [];
      for (let i = 0; i < 3; i++) losses.push(...engine.train(60).batchLosses);
      results.push({ losses, model: engine.saveModel() });
      engine.dispose();
    }
    assert.equal(results[0].losses.length, 180);
    assert.deepEqual(results[1].losses, results[0].losses, optimizer);
    assert.deepEqual(results[1].model, results[0].model, optimizer);
  }
});

// A checkpoint of a layer of at least 2^18 floats is copied by both threads (f32_copy): a diverging run rolls back
// to it, so the model after the roll-back is the checkpointed one to the bit, in every layer.
test('the threaded build rolls a diverging run back to the checkpointed model exactly', async () => {
  const engine = await engineWithMnist('simd-threads', { trainLimit: 3000, testLimit: 100 });
  engine.createModel({ sizes: [784, 512, 10], output: 'softmax-xent', seed: 7 });
  engine.setOptions({ batchSize: 32, learningRate: 0.1, momentum: 0.9 });
  engine.train(40);
  engine.setOptions({ learningRate: 1000, momentum: 0.99 }); // takes a checkpoint of the model as it is now
  const checkpointed = engine.saveModel();
  assert.throws(() => engine.train(50), (error) => error.diverged === true);
  assert.deepEqual(engine.saveModel(), checkpointed);
  engine.dispose();
});
