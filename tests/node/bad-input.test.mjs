// Bad input through the JS API gets a clear error, and the module keeps working after it, with the
// model it had.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../web/src/engine/engine.js';
import { engineWithMnist, mnistFiles, testImages } from './helpers.mjs';

const engine = await engineWithMnist('simd', { trainLimit: 1000, testLimit: 200 });
engine.createModel({ sizes: [784, 32, 10], seed: 3 });
engine.setOptions({ batchSize: 20, learningRate: 0.5, momentum: 0.5 });
engine.train(10);
const probe = testImages(3);
const baseline = engine.predict(probe);
const baselineModel = engine.saveModel();

/** Asserts that fn throws an EngineError whose message matches, then that the engine still works unchanged. */
function rejects(fn, pattern) {
  assert.throws(fn, (error) => error instanceof EngineError && pattern.test(error.message), `expected ${pattern}`);
  assert.deepEqual(engine.predict(probe), baseline, 'the model is unchanged');
}

function withHeader(bytes, patch) {
  const copy = bytes.slice();
  patch(copy);
  return copy;
}

test('corrupt IDX files are refused with a message', () => {
  const { trainImages, trainLabels } = mnistFiles();
  const images = trainImages.subarray(0, 16 + 784 * 100);
  const labels = trainLabels.subarray(0, 8 + 100);
  // A consistent 100-image set, to corrupt one thing at a time.
  const goodImages = withHeader(images, (b) => new DataView(b.buffer).setUint32(4, 100));
  const goodLabels = withHeader(labels, (b) => new DataView(b.buffer).setUint32(4, 100));
  const cases = [
    [new Uint8Array(0), goodLabels, /empty/],
    [withHeader(goodImages, (b) => { b[0] = 7; }), goodLabels, /not an IDX file/],
    [withHeader(goodImages, (b) => { b[2] = 0x0d; }), goodLabels, /data type 0x0d/],
    [withHeader(goodImages, (b) => { b[3] = 4; }), goodLabels, /expected 3 dimensions/],
    [goodImages.subarray(0, goodImages.length - 1), goodLabels, /truncated/],
    [goodImages.subarray(0, 10), goodLabels, /shorter than its 16-byte header/],
    [goodImages, withHeader(goodLabels, (b) => new DataView(b.buffer).setUint32(4, 0)), /zero/],
    [goodImages, goodLabels.subarray(0, 8 + 99), /truncated/],
    [goodImages, withHeader(trainLabels.subarray(0, 8 + 99), (b) => new DataView(b.buffer).setUint32(4, 99)), /100 images but the labels file holds 99/],
    [Uint8Array.of(0x1f, 0x8b, 8, 0), goodLabels, /gzip/],
  ];
  for (const [badImages, badLabels, pattern] of cases) {
    rejects(() => engine.loadData('train', badImages, badLabels), pattern);
  }
  rejects(() => engine.loadData('train', [1, 2, 3], goodLabels), /Uint8Array/);
  rejects(() => engine.loadData('validation', goodImages, goodLabels), /split/);
  assert.equal(engine.info().trainCount, 1000, 'the loaded set is kept');
});

test('nonsense hyperparameters are refused with a message', () => {
  const badOptions = [
    [{ batchSize: 0 }, /batchSize/], [{ batchSize: 2.5 }, /batchSize/], [{ batchSize: 1e9 }, /batchSize/],
    [{ learningRate: 0 }, /learning rate/], [{ learningRate: -1 }, /learning rate/], [{ learningRate: NaN }, /learningRate/],
    [{ learningRate: 'fast' }, /learningRate/], [{ momentum: 1 }, /momentum/], [{ momentum: -0.1 }, /momentum/],
  ];
  for (const [options, pattern] of badOptions) rejects(() => engine.setOptions(options), pattern);
  assert.equal(engine.info().batchSize, 20, 'options are unchanged');
  const badModels = [
    [{ sizes: [784] }, /sizes/], [{ sizes: [784, 0, 10] }, /layer sizes/], [{ sizes: [784, 1e6, 10] }, /layer sizes/],
    [{ sizes: 'big' }, /array/], [{ sizes: [784, 16384, 16384, 10] }, /parameters/], [{ output: 'tanh' }, /output/],
    [{ seed: -1 }, /seed/], [{ seed: 1.5 }, /seed/], [{ sizes: [784, 10, 1] }, /at least 2 classes/],
  ];
  for (const [config, pattern] of badModels) rejects(() => engine.createModel(config), pattern);
  rejects(() => engine.train(-1), /batches/);
  rejects(() => engine.train(0.5), /batches/);
  rejects(() => engine.evaluate('nope'), /split/);
  rejects(() => engine.predict(new Uint8Array(100)), /784-pixel images/);
  rejects(() => engine.predict(new Uint8Array(0)), /784-pixel images/);
});

test('bad model files are refused and the current model is kept', () => {
  const flipped = baselineModel.slice();
  flipped[100] ^= 0xff;
  const cases = [
    [new Uint8Array(0), /too short/], [baselineModel.subarray(0, baselineModel.length - 5), /truncated/],
    [baselineModel.subarray(0, 30), /truncated/], [flipped, /checksum/],
    [withHeader(baselineModel, (b) => { b[0] = 0x58; }), /magic/], [withHeader(baselineModel, (b) => { b[4] = 9; }), /version 9/],
    [Uint8Array.from([...baselineModel, 0]), /unexpected bytes/],
  ];
  for (const [bytes, pattern] of cases) rejects(() => engine.loadModel(bytes), pattern);
  assert.deepEqual(engine.saveModel(), baselineModel);
});

test('a model that does not fit the data is refused; one that does is accepted', async () => {
  const other = await engineWithMnist('scalar', { trainLimit: 100, testLimit: 100 });
  other.createModel({ sizes: [784, 16, 10] });
  other.loadModel(baselineModel);
  assert.deepEqual(other.predict(probe), baseline, 'a saved model predicts the same in another build');
  // 100 inputs: does not fit 28x28 images.
  const small = await engineWithMnist('scalar', { trainLimit: 100, testLimit: 100 });
  assert.throws(() => small.createModel({ sizes: [100, 10] }) && small.train(1), /784 pixels/);
  rejects(() => engine.loadModel(small.saveModel()), /784 pixels/);
});

test('a diverging run stops, says so, and rolls the model back', async () => {
  const wild = await engineWithMnist('simd', { trainLimit: 2000, testLimit: 200 });
  wild.createModel({ sizes: [784, 64, 10], output: 'softmax-xent', seed: 5 });
  wild.setOptions({ batchSize: 32, learningRate: 0.05, momentum: 0 });
  wild.train(20);
  const before = wild.evaluate('test');
  wild.setOptions({ learningRate: 1000, momentum: 0.99 });
  let failure;
  try {
    wild.train(200);
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof EngineError, 'the run is stopped');
  assert.equal(failure.diverged, true);
  assert.match(failure.message, /diverged.*rolled back/);
  const after = wild.evaluate('test');
  assert.ok(Number.isFinite(after.loss), 'the model is finite again');
  assert.ok(after.accuracy >= before.accuracy - 0.05, `rolled back to a good state (${before.accuracy} -> ${after.accuracy})`);
  wild.setOptions({ learningRate: 0.05, momentum: 0 });
  assert.ok(Number.isFinite(wild.train(5).loss), 'and training goes on');
});

test('training without data, and after all those errors, behaves', async () => {
  const empty = await (await import('../../web/src/engine/node.js')).loadNodeEngine('simd');
  assert.throws(() => empty.train(1), /no training data/);
  assert.throws(() => empty.evaluate('test'), /no test data/);
  assert.ok(Number.isFinite(engine.train(5).loss), 'the engine that saw every error still trains');
});

test('first-layer weights come out unit by unit, and a bad unit count is refused', () => {
  const { units, inputs, weights } = engine.firstLayerWeights(4);
  assert.equal(units, 4);
  assert.equal(inputs, 784);
  assert.equal(weights.length, 4 * 784);
  // Unit u's weight from input k is W[k][u] in the model file: input-major, after the header (2 layers: three
  // sizes, then the input shape, the scaling kind, and a scale and an offset per input).
  const view = new DataView(engine.saveModel().buffer);
  const header = 20 + 4 * 3 + 12 + 8 * 784;
  for (const [unit, input] of [[0, 0], [3, 400], [2, 783]]) {
    assert.equal(weights[unit * 784 + input], view.getFloat32(header + 4 * (input * 32 + unit), true));
  }
  assert.throws(() => engine.firstLayerWeights(0), /units/);
  assert.throws(() => engine.firstLayerWeights(33), /units must be a whole number from 1 to 32/);
});
