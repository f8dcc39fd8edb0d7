// Data sets other than MNIST: any class count and image shape (generated in memory), dense images (MNIST
// inverted), sets that do not fit, version-1 model files, and training on from a saved model (at an epoch's end
// or in the middle of one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { ADAM_LEARNING_RATE, EngineError, defaultOptionsFor } from '../../web/src/engine/engine.js';
import { loadNodeEngine } from '../../web/src/engine/node.js';
import { inverted, invertedNoisy, withPixels } from '../../scripts/lib/pixel-maps.mjs';
import { engineWithMnist, mnistFiles } from './helpers.mjs';
import { idxFeatures, idxImages, idxLabels, seededRandom } from './synthetic-idx.mjs';

const sum = (values) => values.reduce((a, b) => a + b, 0);
const sameBytes = (a, b) => a.length === b.length && a.every((value, i) => value === b[i]);
const epochsOf = (count, batchSize = 64) => Math.ceil(count / batchSize);

/** `fn` throws an EngineError whose message matches every pattern. */
function throwsEngineError(fn, ...patterns) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof EngineError, `an EngineError, not ${error}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

// 26 classes of 16x16 images: class c is a soft blob centred on its own point of a 6x5 grid, moved up to a pixel
// either way, over uniform noise. Labels are drawn at random, so the classes' counts differ.
const LETTERS = 26;
const SIDE = 16;
const CENTRES = Array.from({ length: LETTERS }, (_, c) => [2 + (c % 6) * 2.4, 2.5 + Math.floor(c / 6) * 2.75]);

function blobSet(count, seed) {
  const random = seededRandom(seed);
  const labels = Array.from({ length: count }, () => Math.floor(random() * LETTERS));
  const shifts = labels.map(() => [2 * random() - 1, 2 * random() - 1]);
  const images = idxImages(count, SIDE, SIDE, (i, row, col) => {
    const [x, y] = CENTRES[labels[i]];
    const dx = col - x - shifts[i][0];
    const dy = row - y - shifts[i][1];
    return 220 * Math.exp(-(dx * dx + dy * dy) / 2) + 80 * random();
  });
  return { images, labels, labelBytes: idxLabels(labels) };
}

test('26 classes of 16x16 images: loaded, sized, learned, and a 26x26 confusion matrix', async () => {
  const train = blobSet(3000, 1);
  const testSet = blobSet(1000, 2);
  const engine = await loadNodeEngine('simd');
  assert.deepEqual(engine.loadData('train', train.images, train.labelBytes), { count: 3000, rows: 16, cols: 16, classes: 26 });
  assert.deepEqual(engine.loadData('test', testSet.images, testSet.labelBytes), { count: 1000, rows: 16, cols: 16, classes: 26 });
  const info = engine.createModel({ hidden: [64] });
  assert.deepEqual(info.sizes, [256, 64, 26]);
  assert.equal(info.classes, 26);
  assert.deepEqual(info.inputShape, [16, 16]);
  assert.deepEqual(info.trainShape, [16, 16]);
  assert.equal(info.trainClasses, 26);

  engine.setOptions(defaultOptionsFor('sigmoid-l2'));
  const before = engine.evaluate('test');
  const summary = engine.train(8 * epochsOf(3000));
  assert.equal(summary.epoch, 8);
  const evaluation = engine.evaluate('test');
  assert.ok(evaluation.loss < before.loss, `the test loss falls (${before.loss} -> ${evaluation.loss})`);
  assert.ok(evaluation.accuracy > 0.8, `test accuracy ${evaluation.accuracy} (chance: ${1 / 26})`);

  assert.equal(evaluation.count, 1000);
  assert.equal(evaluation.classes, 26);
  assert.equal(evaluation.confusion.length, 26 * 26);
  const labelCounts = Array(26).fill(0);
  for (const label of testSet.labels) ++labelCounts[label];
  assert.ok(new Set(labelCounts).size > 1, 'the classes have different counts: the row sums say something');
  const rowSums = Array.from({ length: 26 }, (_, row) => sum(evaluation.confusion.slice(row * 26, row * 26 + 26)));
  assert.deepEqual(rowSums, labelCounts, 'row r of the confusion matrix holds the test images labelled r');
  const diagonal = sum(Array.from({ length: 26 }, (_, i) => evaluation.confusion[i * 27]));
  assert.equal(diagonal, Math.round(evaluation.accuracy * 1000));
});

test('a rank-2 IDX set (N x 20 features) loads as one row of 20 and learns', async () => {
  // 4 classes: class c raises features 5c..5c+4 over noise.
  const makeSet = (count, seed) => {
    const random = seededRandom(seed);
    const labels = Array.from({ length: count }, () => Math.floor(random() * 4));
    const images = idxFeatures(count, 20, (i, feature) => 100 * random() + (Math.floor(feature / 5) === labels[i] ? 120 : 0));
    return { images, labels: idxLabels(labels) };
  };
  const train = makeSet(2000, 3);
  const testSet = makeSet(500, 4);
  const engine = await loadNodeEngine('simd');
  assert.deepEqual(engine.loadData('train', train.images, train.labels), { count: 2000, rows: 1, cols: 20, classes: 4 });
  assert.deepEqual(engine.loadData('test', testSet.images, testSet.labels), { count: 500, rows: 1, cols: 20, classes: 4 });
  const info = engine.createModel({ hidden: [16] });
  assert.deepEqual(info.sizes, [20, 16, 4]);
  assert.deepEqual(info.inputShape, [1, 20]);
  engine.setOptions(defaultOptionsFor('sigmoid-l2'));
  engine.train(3 * epochsOf(2000));
  const evaluation = engine.evaluate('test');
  assert.ok(evaluation.accuracy > 0.9, `test accuracy ${evaluation.accuracy}`);
  assert.equal(evaluation.confusion.length, 16);
  assert.equal(engine.predict(testSet.images.subarray(12, 12 + 3 * 20)).length, 3 * 4, 'predict takes 20-value rows');
});

/** MNIST with every pixel inverted (255 - p): dense images, mostly white. */
function invertedMnist() {
  return withPixels(mnistFiles(), inverted);
}

const dense = { trainLimit: 10000, testLimit: 2000, hidden: [256] };
let denseEngine;
/** One engine with 10,000 inverted training images and 2,000 test images, shared by the dense tests. */
async function denseMnistEngine() {
  if (!denseEngine) {
    const files = invertedMnist();
    denseEngine = await loadNodeEngine('simd');
    denseEngine.loadData('train', files.trainImages, files.trainLabels, { limit: dense.trainLimit });
    denseEngine.loadData('test', files.testImages, files.testLabels, { limit: dense.testLimit });
  }
  return denseEngine;
}

/** Test accuracy after each of `epochs` epochs of a fresh model on inverted MNIST. */
async function denseRun({ output = 'sigmoid-l2', scaling, options = {}, epochs = 2 }) {
  const engine = await denseMnistEngine();
  engine.createModel({ hidden: dense.hidden, output, ...(scaling && { scaling }) });
  assert.equal(engine.info().scaling, scaling ?? 'standard', 'auto scaling picks standard for a dense set');
  engine.setOptions({ ...defaultOptionsFor(output), ...options });
  const accuracies = [];
  for (let epoch = 0; epoch < epochs; ++epoch) {
    engine.train(epochsOf(dense.trainLimit));
    accuracies.push(engine.evaluate('test').accuracy);
  }
  return accuracies;
}

// The default scaling, auto, picks standard for this dense set: rms alone reached 0.72-0.78 after two epochs.
test('dense images (MNIST inverted) learn to over 90% in two epochs at the default options and scaling',
  async () => {
    for (const output of ['sigmoid-l2', 'softmax-xent']) {
      const accuracies = await denseRun({ output });
      assert.ok(Math.max(...accuracies) > 0.9, `${output}, rms: test accuracy after 1 and 2 epochs ${accuracies}`);
    }
  });

test('dense images (MNIST inverted) learn at each loss\'s default options with per-pixel standard scaling', async () => {
  for (const output of ['sigmoid-l2', 'softmax-xent']) {
    const accuracies = await denseRun({ output, scaling: 'standard' });
    assert.ok(accuracies[1] > 0.9, `${output}, standard: test accuracy after 1 and 2 epochs ${accuracies}`);
  }
});

test('dense images: rms scaling learns; unscaled inputs (unit) at a learning rate of 1 do not', async () => {
  const rms = await denseRun({ scaling: 'rms' });
  assert.ok(rms[1] > 0.7, `rms: test accuracy after 1 and 2 epochs ${rms}`);
  // 784 inputs near 1 make huge pre-activations: the sigmoids saturate and stay there.
  const unit = await denseRun({ scaling: 'unit', options: { learningRate: 1 } });
  assert.ok(unit[1] < 0.5, `unit: test accuracy after 1 and 2 epochs ${unit}`);
  assert.ok(unit[1] < rms[1] - 0.3, `unit (${unit[1]}) falls far behind rms (${rms[1]})`);
});

// The first layer goes around a set's common pixel values (cpp/core/input_background.h) where that halves its
// non-zero inputs: inverted digits under every scaling, centred ones; not MNIST as it is, nor images with no common value.
test('inverted and centred digits train around their background; sparse and noisy ones do not', async () => {
  const engine = await denseMnistEngine();
  for (const scaling of ['standard', 'rms', 'unit']) {
    engine.createModel({ hidden: [16], scaling });
    assert.equal(engine.info().inputBackground, true, `inverted, ${scaling}`);
  }
  const mnist = await engineWithMnist('simd', { trainLimit: 3000 });
  mnist.createModel({ hidden: [16] });
  assert.equal(mnist.info().inputBackground, false, 'MNIST, auto (rms) scaling: its background is zero already');
  mnist.createModel({ hidden: [16], scaling: 'standard' });
  assert.equal(mnist.info().inputBackground, true, 'MNIST centred: the offsets are its background');
  mnist.dispose();
  const noisy = await engineWithMnist('simd', { trainLimit: 3000, pixels: invertedNoisy });
  noisy.createModel({ hidden: [16] });
  assert.equal(noisy.info().scaling, 'standard');
  assert.equal(noisy.info().inputBackground, false, 'no value common to a pixel: the dense tiles');
  noisy.dispose();
});

test('images and labels that disagree, and test sets that do not fit the training set, are refused', async () => {
  const engine = await loadNodeEngine('simd');
  const labels = (count, classes) => idxLabels(Array.from({ length: count }, (_, i) => i % classes));
  const images = (count, side) => idxImages(count, side, side, (i, row, col) => (i * 7 + row * 3 + col) % 256);
  throwsEngineError(() => engine.loadData('train', images(100, 16), labels(99, 26)), /training data/, /100 images/, /99 labels/);
  throwsEngineError(() => engine.loadData('train', idxFeatures(50, 20, () => 1), labels(60, 3)), /50 images/, /60 labels/);
  throwsEngineError(() => engine.loadData('test', images(10, 16), labels(12, 26)), /test data/, /10 images/, /12 labels/);
  assert.equal(engine.info().trainCount, 0);

  engine.loadData('train', images(100, 16), labels(100, 26));
  throwsEngineError(() => engine.loadData('test', images(40, 8), labels(40, 26)), /test data/, /test images are 8x8/, /training images are 16x16/);
  throwsEngineError(() => engine.loadData('test', images(40, 16), labels(40, 30)), /test data/, /test labels go up to 29/, /training labels only up to 25/);
  assert.equal(engine.info().trainCount, 100, 'the training set is kept');
  assert.deepEqual(engine.loadData('test', images(40, 16), labels(40, 26)), { count: 40, rows: 16, cols: 16, classes: 26 });
  engine.createModel({ hidden: [8] });
  assert.equal(engine.evaluate('test').count, 40, 'and a test set that fits is taken');
});

test('a refused test set leaves the test set loaded before it in place',
  async () => {
    const engine = await loadNodeEngine('simd');
    const labels = idxLabels(Array.from({ length: 40 }, (_, i) => i % 26));
    const images = (side) => idxImages(40, side, side, (i, row, col) => (i + row + col) % 256);
    engine.loadData('train', images(16), labels);
    engine.loadData('test', images(16), labels);
    assert.throws(() => engine.loadData('test', images(8), labels), EngineError);
    assert.equal(engine.info().testCount, 40, 'testCount after the refused load');
  });

/** A version-1 model file: "SNET", 1, output, 0 (ReLU), L, sizes, then per layer W [in x out] and b, then CRC-32. */
function version1File(output, layers) {
  const sizes = [layers[0].weights.length, ...layers.map((layer) => layer.bias.length)];
  const floats = layers.flatMap((layer) => [...layer.weights.flat(), ...layer.bias]);
  const bytes = new Uint8Array(20 + 4 * sizes.length + 4 * floats.length + 4);
  const view = new DataView(bytes.buffer);
  bytes.set([0x53, 0x4e, 0x45, 0x54]); // SNET
  [1, output, 0, layers.length, ...sizes].forEach((value, i) => view.setUint32(4 + 4 * i, value, true));
  floats.forEach((value, i) => view.setFloat32(20 + 4 * sizes.length + 4 * i, value, true));
  view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

/** The network by hand, in doubles: ReLU hidden layers, then sigmoid or softmax. */
function forwardByHand(layers, output, pixels) {
  let activations = [...pixels].map((p) => p / 255);
  layers.forEach((layer, l) => {
    const z = layer.bias.map((b, j) => b + sum(activations.map((a, k) => a * layer.weights[k][j])));
    const last = l === layers.length - 1;
    if (!last) activations = z.map((v) => Math.max(0, v));
    else if (output === 0) activations = z.map((v) => 1 / (1 + Math.exp(-v)));
    else {
      const top = Math.max(...z);
      const e = z.map((v) => Math.exp(v - top));
      activations = e.map((v) => v / sum(e));
    }
  });
  return activations;
}

test('a version-1 model file (4-3-2) still loads, as unit-scaled, and predicts what the weights say', async () => {
  const layers = [
    { weights: [[0.5, -0.25, 1], [-1, 0.75, 0.125], [0.25, 0.5, -0.5], [1.5, -0.125, 0.25]], bias: [0.1, -0.2, 0.05] },
    { weights: [[1, -1], [-0.5, 2], [0.75, 0.25]], bias: [-0.3, 0.2] },
  ];
  const pixels = Uint8Array.of(0, 64, 128, 255, 255, 255, 0, 10, 30, 0, 200, 90);
  for (const output of [0, 1]) {
    const file = version1File(output, layers);
    const engine = await loadNodeEngine('simd');
    const info = engine.loadModel(file);
    assert.deepEqual(info.sizes, [4, 3, 2]);
    assert.equal(info.scaling, 'unit');
    assert.equal(info.output, output === 0 ? 'sigmoid-l2' : 'softmax-xent');
    assert.deepEqual(info.inputShape, [1, 4], 'a version-1 file of 4 inputs is one row');
    assert.equal(info.step, 0);
    const scores = engine.predict(pixels);
    assert.equal(scores.length, 3 * 2);
    for (let image = 0; image < 3; ++image) {
      const expected = forwardByHand(layers, output, pixels.subarray(4 * image, 4 * image + 4));
      for (let j = 0; j < 2; ++j) {
        assert.ok(Math.abs(scores[2 * image + j] - expected[j]) < 1e-6, `output ${output}, image ${image}, class ${j}: ${scores[2 * image + j]} vs ${expected[j]}`);
      }
    }
    // Saved again it is a file of today's version that predicts the same.
    const saved = engine.saveModel();
    assert.equal(new DataView(saved.buffer, saved.byteOffset).getUint32(4, true), 3);
    const again = await loadNodeEngine('scalar');
    assert.equal(again.loadModel(saved).scaling, 'unit');
    assert.deepEqual(again.predict(pixels), scores);
  }
  // A damaged version-1 file is refused by its checksum.
  const damaged = version1File(0, layers);
  damaged[40] ^= 1;
  const engine = await loadNodeEngine('simd');
  throwsEngineError(() => engine.loadModel(damaged), /checksum/);
});

// Training on from a saved model: 2 epochs, save with the optimizer's state, load into a fresh engine with the
// same data, 2 more epochs; against one engine that ran 4 epochs straight.
const resume = { trainLimit: 3000, testLimit: 1000, hidden: [64], seed: 7 };
const RESUME_EPOCH = epochsOf(resume.trainLimit);

async function mnistEngine() {
  const files = mnistFiles();
  const engine = await loadNodeEngine('simd');
  engine.loadData('train', files.trainImages, files.trainLabels, { limit: resume.trainLimit });
  engine.loadData('test', files.testImages, files.testLabels, { limit: resume.testLimit });
  return engine;
}

async function trainedMnistEngine(options, batches) {
  const engine = await mnistEngine();
  engine.createModel({ hidden: resume.hidden, seed: resume.seed });
  engine.setOptions(options);
  const summary = engine.train(batches);
  return { engine, summary };
}

const optimizers = {
  sgd: { ...defaultOptionsFor('sigmoid-l2'), schedule: 'constant' },
  adam: { ...defaultOptionsFor('sigmoid-l2'), schedule: 'constant', optimizer: 'adam', learningRate: ADAM_LEARNING_RATE },
};

for (const [name, options] of Object.entries(optimizers)) {
  test(`${name}: 2 epochs, saved with its state and loaded into a fresh engine, then 2 more, equal 4 epochs straight`, async () => {
    const { engine: straight, summary: first } = await trainedMnistEngine(options, 2 * RESUME_EPOCH);
    assert.equal(first.step, 2 * RESUME_EPOCH);
    const saved = straight.saveModel({ optimizerState: true });
    assert.ok(saved.length > straight.saveModel().length, 'the optimizer state is in the file');
    const straightOn = straight.train(2 * RESUME_EPOCH);

    const resumed = await mnistEngine();
    const loaded = resumed.loadModel(saved);
    assert.equal(loaded.step, 2 * RESUME_EPOCH, 'the step count comes back from the file');
    assert.deepEqual(loaded.sizes, [784, 64, 10]);
    resumed.setOptions(options); // the file holds the state, not the options
    const resumedOn = resumed.train(2 * RESUME_EPOCH);

    assert.equal(resumedOn.step, 4 * RESUME_EPOCH);
    assert.equal(resumedOn.epoch, straightOn.epoch, 'the epoch count goes on');
    assert.deepEqual(resumedOn.batchLosses, straightOn.batchLosses, 'every batch loss is the same: same order, same state');
    assert.deepEqual(resumed.evaluate('test'), straight.evaluate('test'));
    assert.ok(sameBytes(resumed.saveModel({ optimizerState: true }), straight.saveModel({ optimizerState: true })), 'bit-identical models');

    // Without the state the step count starts again: the state is what makes the difference.
    const fresh = await mnistEngine();
    assert.equal(fresh.loadModel(straight.saveModel()).step, 0);
  });
}

test('a model for another input size is refused by loadModel, and the current model is kept', async () => {
  const { engine } = await trainedMnistEngine(optimizers.sgd, 30);
  const probe = mnistFiles().testImages.slice(16, 16 + 784 * 3);
  const scores = engine.predict(probe);
  const weights = engine.saveModel();
  const other = await loadNodeEngine('simd');
  other.createModel({ sizes: [100, 8, 10] });
  throwsEngineError(() => engine.loadModel(other.saveModel()), /cannot load this model/, /100 inputs/, /784 pixels/);
  assert.deepEqual(engine.info().sizes, [784, 64, 10]);
  assert.equal(engine.info().step, 30);
  assert.deepEqual(engine.predict(probe), scores);
  assert.ok(sameBytes(engine.saveModel(), weights), 'the same weights');
});

test('a refused loadModel keeps the optimizer state too: training goes on as if it had not been tried',
  async () => {
    const { engine } = await trainedMnistEngine(optimizers.sgd, 30);
    const { engine: untouched } = await trainedMnistEngine(optimizers.sgd, 30);
    const before = engine.saveModel({ optimizerState: true });
    const other = await loadNodeEngine('simd');
    other.createModel({ sizes: [100, 8, 10] });
    assert.throws(() => engine.loadModel(other.saveModel()), EngineError);
    assert.ok(sameBytes(engine.saveModel({ optimizerState: true }), before), 'the saved optimizer state is unchanged');
    assert.deepEqual(engine.train(20).batchLosses, untouched.train(20).batchLosses);
  });

for (const [name, options] of Object.entries({ sgd: optimizers.sgd, 'adamw with dropout': { ...optimizers.adam, optimizer: 'adamw', weightDecay: 0.01, dropout: 0.3 } })) {
  test(`${name}: saved in the middle of an epoch and loaded, training goes on with the batches not yet seen`, async () => {
    const { engine: straight } = await trainedMnistEngine(options, 2 * RESUME_EPOCH + 10);
    const saved = straight.saveModel({ optimizerState: true });
    const resumed = await mnistEngine();
    assert.equal(resumed.loadModel(saved).step, 2 * RESUME_EPOCH + 10);
    resumed.setOptions(options);
    const resumedOn = resumed.train(RESUME_EPOCH);
    const straightOn = straight.train(RESUME_EPOCH);
    assert.deepEqual([resumedOn.epoch, resumedOn.batchInEpoch], [straightOn.epoch, straightOn.batchInEpoch]);
    assert.deepEqual([resumedOn.epoch, resumedOn.batchInEpoch], [3, 10], 'the epoch and the batch in it go on');
    assert.deepEqual(resumedOn.batchLosses, straightOn.batchLosses, 'the same batches, masks and state');
    assert.ok(sameBytes(resumed.saveModel({ optimizerState: true }), straight.saveModel({ optimizerState: true })), 'bit-identical models');
  });
}
