// Property-based tests of the JavaScript boundary (fast-check): every call of the engine, given random types and
// values (numbers of every kind, strings, arrays, objects, null, undefined, typed arrays, detached buffers,
// BigInts, symbols), either returns a result or throws an EngineError; never another exception (a TypeError or
// a RangeError from marshalling into wasm memory), never a wasm trap, never a hang. A result is only accepted for arguments of the types
// the call documents (engine.d.ts): a number given as '3', true, null or [] is refused, not coerced. After each
// run the engine still trains: a few batches on a small in-memory set give a finite loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EngineError, defaultOptionsFor, loadEngine, scheduleBatches } from '../../web/src/engine/engine.js';
import { loadNodeEngine } from '../../web/src/engine/node.js';
import { idxFeatures, idxImages, idxLabels } from './synthetic-idx.mjs';

// A small set: 48 images of 3x4 pixels in 3 classes, each class lighting its own band of pixels.
const ROWS = 3, COLS = 4, FEATURES = ROWS * COLS, CLASSES = 3, COUNT = 48;
const LABELS = Array.from({ length: COUNT }, (_, i) => i % CLASSES);
const IMAGES = idxImages(COUNT, ROWS, COLS, (i, r, c) => (r === LABELS[i] ? 200 : 20) + ((i * 7 + c * 13) % 40));
const LABELS_FILE = idxLabels(LABELS);
/** Data that loads but does not fit the baseline model, and data that does not load at all. */
const OTHER_IMAGES = idxFeatures(20, 5, (i, f) => (i * 31 + f * 17) % 256);
const OTHER_LABELS = idxLabels(Array.from({ length: 20 }, (_, i) => i % 2));
const MAX_CALL_MS = 10000; // a call that takes this long counts as a hang (the slowest valid call here takes far less)

const engine = await loadNodeEngine('simd');

/** The state every run starts from: the small set, a small model, settings that learn. */
function reset() {
  engine.loadData('train', IMAGES, LABELS_FILE);
  engine.loadData('test', IMAGES, LABELS_FILE);
  engine.createModel({ sizes: [FEATURES, 8, CLASSES], output: 'softmax-xent', seed: 7, scaling: 'unit' });
  engine.setOptions({ batchSize: 16, learningRate: 0.1, momentum: 0.9, optimizer: 'sgd', weightDecay: 0, dropout: 0,
    beta1: 0.9, beta2: 0.999, epsilon: 1e-8, schedule: 'constant', warmupBatches: 0, scheduleBatches: 0, stepBatches: 0, stepGamma: 0.1 });
}
reset();
const MODEL = engine.saveModel();
const MODEL_WITH_STATE = (engine.train(3), engine.saveModel({ optimizerState: true }));
const CORRUPT_MODEL = (() => { const bytes = MODEL.slice(); bytes[bytes.length >> 1] ^= 0x55; return bytes; })();
const FOREIGN_MODEL = await (async () => {
  const other = await loadNodeEngine('simd');
  other.createModel({ sizes: [5, 4, 2] });
  return other.saveModel();
})();

/** The engine still trains: from the small model, a few batches give a finite loss, and it predicts. */
function assertStillTrains() {
  reset();
  const summary = engine.train(5);
  assert.equal(summary.batches, 5);
  assert.ok(Number.isFinite(summary.loss), `loss ${summary.loss}`);
  const scores = engine.predict(IMAGES.subarray(16, 16 + 2 * FEATURES));
  assert.equal(scores.length, 2 * CLASSES);
  assert.ok(scores.every(Number.isFinite));
}

function detachedBytes(length) {
  const bytes = new Uint8Array(length);
  structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
  // fast-check cannot print a detached array by itself (reading it throws)
  return Object.defineProperty(bytes, fc.toStringMethod, { value: () => `detachedUint8Array(${length})` });
}

// ---- arbitrary values ----

const boundaryNumbers = fc.constantFrom(0, -0, 1, 2, 3, -1, 0.5, 1.5, -1.5, 1e-9, Number.EPSILON, Number.MIN_VALUE, NaN, Infinity,
  -Infinity, 16, 4096, 4097, 16384, 16385, 1000001, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, -(2 ** 31), 1e300, -1e300, FEATURES, CLASSES, COUNT);
const numbers = fc.oneof(boundaryNumbers, fc.integer({ min: -20, max: 200 }), fc.integer(), fc.double());
const words = fc.oneof(
  fc.constantFrom('train', 'test', 'validation', '', ' ', '3', '1e3', '0x10', 'NaN', 'constructor', '__proto__', 'toString',
    'hasOwnProperty', 'sgd', 'adam', 'adamw', 'sigmoid-l2', 'softmax-xent', 'tanh', 'constant', 'cosine', 'step', 'auto', 'rms',
    'unit', 'standard', 'simd', 'scalar', 'simd-threads', 'gpu', 'x'.repeat(10000)),
  fc.string({ maxLength: 20 }));
const byteArrays = fc.oneof(
  fc.constantFrom(IMAGES, LABELS_FILE, OTHER_IMAGES, OTHER_LABELS, MODEL, MODEL_WITH_STATE, CORRUPT_MODEL, FOREIGN_MODEL,
    IMAGES.subarray(0, 20), new Uint8Array(0), IMAGES.subarray(16, 16 + FEATURES)),
  fc.uint8Array({ maxLength: 64 }),
  fc.integer({ min: 1, max: 8 }).map((count) => IMAGES.slice(16, 16 + count * FEATURES)),
  fc.integer({ min: 0, max: 64 }).map(detachedBytes),
  fc.integer({ min: 0, max: 64 }).map((n) => Buffer.alloc(n, 7)),
);
const otherObjects = fc.constantFrom(new Uint8ClampedArray(FEATURES), new Int8Array(FEATURES), new Float32Array(FEATURES),
  new Float64Array(3), new BigInt64Array(2), new Uint16Array(FEATURES), IMAGES.buffer, new ArrayBuffer(8), new DataView(new ArrayBuffer(4)),
  new SharedArrayBuffer(8), new Date(0), new Map([['limit', 1]]), new Set([1]), /x/, new Error('x'), Promise.resolve(1),
  Object.create(null), Object.assign(Object.create(null), { limit: 2 }), () => 3, Math.max, Symbol('x'), Symbol.iterator,
  [, , 3], new Array(5), Object.assign([FEATURES, 3], { length: 2 ** 32 - 1 }), new Array(2 ** 31), [FEATURES, 8, CLASSES],
  { valueOf: () => 3 }, { toString: () => 'train' }, new Number(3), new String('train'), new Boolean(true));
const scalars = fc.oneof(numbers, words, fc.boolean(), fc.constantFrom(null, undefined), fc.bigInt(), otherObjects);
const layerSizes = fc.array(fc.oneof(fc.constantFrom(FEATURES, CLASSES, 1, 2, 0, 16384, 16385, 5, 784), fc.integer({ min: 1, max: 32 }), numbers),
  { maxLength: 10 });

/** Keys the calls read (and a few they do not), so that random objects reach the checks behind the first. */
const KEYS = ['sizes', 'hidden', 'output', 'seed', 'scaling', 'limit', 'batchSize', 'learningRate', 'momentum', 'optimizer',
  'weightDecay', 'dropout', 'beta1', 'beta2', 'epsilon', 'schedule', 'warmupBatches', 'scheduleBatches', 'stepBatches', 'stepGamma',
  'optimizerState', 'epochs', 'warmupEpochs', 'stepEpochs', 'flavor', 'wasmBinary', 'locateFile', 'factory', 'units', 'extra'];

const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    scalars, byteArrays, layerSizes, fc.array(tie('value'), { maxLength: 4 }), tie('object')),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), tie('value'), { maxKeys: 5 }),
}));

/** Options objects with plausible fields: most of them pass the type checks and reach the engine's own. */
const fieldValue = fc.oneof(numbers, words, fc.boolean(), layerSizes, fc.constant(undefined), value);
const plausibleObject = fc.dictionary(fc.constantFrom(...KEYS), fieldValue, { maxKeys: 6 });
const split = fc.oneof(fc.constantFrom('train', 'test'), value);
const limitOptions = fc.oneof(fc.constant(undefined), fc.record({ limit: fc.oneof(numbers, value) }), value);
const modelConfig = fc.oneof(fc.constant(undefined), fc.record({ sizes: layerSizes, output: fc.constantFrom('sigmoid-l2', 'softmax-xent') },
  { requiredKeys: [] }), fc.record({ hidden: layerSizes, seed: numbers, scaling: words }, { requiredKeys: [] }), plausibleObject, value);

/** For each call: an arbitrary for its arguments, mixing plausible ones with anything at all. */
const CALLS = {
  loadData: fc.oneof(
    fc.tuple(fc.constantFrom('train', 'test'), fc.constantFrom(IMAGES, OTHER_IMAGES), fc.constantFrom(LABELS_FILE, OTHER_LABELS, IMAGES),
      fc.oneof(fc.constant(undefined), fc.record({ limit: fc.oneof(fc.integer({ min: 0, max: 60 }), numbers) }))),
    fc.tuple(split, fc.oneof(byteArrays, value), fc.oneof(byteArrays, value), limitOptions)),
  createModel: fc.tuple(modelConfig),
  setOptions: fc.tuple(fc.oneof(plausibleObject, value)),
  train: fc.tuple(fc.oneof(numbers, value)),
  evaluate: fc.tuple(split, limitOptions),
  predict: fc.tuple(fc.oneof(byteArrays, value)),
  firstLayerWeights: fc.tuple(fc.oneof(numbers, value)),
  saveModel: fc.tuple(fc.oneof(fc.constant(undefined), fc.record({ optimizerState: fc.oneof(fc.boolean(), value) }), value)),
  loadModel: fc.tuple(fc.oneof(fc.constantFrom(MODEL, MODEL_WITH_STATE, FOREIGN_MODEL, CORRUPT_MODEL), byteArrays, value)),
  info: fc.array(value, { maxLength: 2 }),
  memoryBytes: fc.array(value, { maxLength: 2 }),
};
const call = fc.oneof(...Object.entries(CALLS).map(([method, args]) => args.map((list) => ({ method, args: list }))));

// ---- what a result may be given for: the documented types (the values are the engine's to judge) ----

const isPlainObject = (v) => typeof v === 'object' && v !== null && Object.prototype.toString.call(v) === '[object Object]';
const isBytes = (v) => v instanceof Uint8Array && !(v.buffer.byteLength === 0 && (() => { try { v.buffer.slice(0); return false; } catch { return true; } })());
const isWhole = (v, min, max) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isSplit = (v) => v === 'train' || v === 'test';
const limitOk = (o) => o === undefined || (isPlainObject(o) && (o.limit === undefined || isWhole(o.limit, 0, Infinity)));
const NUMBER_OPTIONS = ['batchSize', 'learningRate', 'momentum', 'weightDecay', 'dropout', 'beta1', 'beta2', 'epsilon', 'warmupBatches',
  'scheduleBatches', 'stepBatches', 'stepGamma'];

function typesAccepted(method, args) {
  const [a, b, c, d] = args;
  switch (method) {
    case 'loadData': return isSplit(a) && isBytes(b) && isBytes(c) && limitOk(d);
    case 'createModel': return a === undefined || (isPlainObject(a) && (a.hidden === undefined || Array.isArray(a.hidden)) &&
      (a.seed === undefined || typeof a.seed === 'number') && (a.sizes === undefined || Array.isArray(a.sizes)));
    case 'setOptions': return isPlainObject(a) && NUMBER_OPTIONS.every((key) => a[key] === undefined || (typeof a[key] === 'number' && Number.isFinite(a[key]))) &&
      ['optimizer', 'schedule'].every((key) => a[key] === undefined || typeof a[key] === 'string');
    case 'train': return isWhole(a, 0, 1000000);
    case 'evaluate': return isSplit(a) && limitOk(b);
    case 'predict': case 'loadModel': return isBytes(a);
    case 'firstLayerWeights': return isWhole(a, 1, 16384);
    case 'saveModel': return a === undefined || (isPlainObject(a) && (a.optimizerState === undefined || typeof a.optimizerState === 'boolean'));
    default: return true;
  }
}

/** Calls fn; returns {result} or {error}, and fails on anything but a result or an EngineError, or a hang. */
function outcomeOf(describeCall, fn) {
  const start = performance.now();
  let outcome;
  try {
    outcome = { result: fn() };
  } catch (error) {
    outcome = { error };
  }
  const ms = performance.now() - start;
  assert.ok(ms < MAX_CALL_MS, `${describeCall()} took ${Math.round(ms)} ms`);
  if (outcome.error !== undefined) {
    const { error } = outcome;
    assert.ok(error instanceof EngineError,
      `${describeCall()} threw ${error?.constructor?.name ?? typeof error}: ${error?.message ?? String(error)} (only EngineErrors may be thrown)`);
    assert.doesNotMatch(error.message, /unreachable|memory access out of bounds|RuntimeError|table index|Aborted|Cannot read properties/);
  }
  return outcome;
}

/** Describes a call for a failure message (fast-check prints the values too). */
const label = ({ method, args }) => `${method}(${args.map((a) => fc.stringify(a).slice(0, 60)).join(', ')})`;

/** Whether a valid train call would be long real work (a large model drawn at random): skipped, it is not a boundary question. */
function tooMuchWork(args) {
  const [batches] = args;
  if (!isWhole(batches, 0, 1000000)) return false;
  const info = engine.info();
  return batches * Math.min(info.batchSize, Math.max(1, info.trainCount)) * info.parameters > 3e8;
}

function runCall(c) {
  if (c.method === 'train' && tooMuchWork(c.args)) return { skipped: true };
  const outcome = outcomeOf(() => label(c), () => engine[c.method](...c.args));
  if (outcome.error === undefined)
    assert.ok(typesAccepted(c.method, c.args), `${label(c)} returned a result for arguments of the wrong type: they must be refused, not coerced`);
  return outcome;
}

test('every engine call, from a trained small model, gives a result or an EngineError; a refusal keeps the model; the engine still trains', () => {
  fc.assert(fc.property(call, (c) => {
    reset();
    engine.train(2);
    const before = engine.saveModel({ optimizerState: true });
    const outcome = runCall(c);
    // A refused call leaves the model as it was, weights and optimizer state (a refused loadData may have let go
    // of the data set it was to replace, but not of the model).
    if (outcome.error !== undefined) assert.deepEqual(engine.saveModel({ optimizerState: true }), before, `${label(c)} was refused but changed the model`);
    assertStillTrains();
  }), { numRuns: 2500, seed: Number(process.env.FC_SEED ?? 13), includeErrorInReport: true });
});

test('random sequences of engine calls never trap, hang or throw anything but an EngineError, and the engine still trains', () => {
  fc.assert(fc.property(fc.array(call, { minLength: 1, maxLength: 8 }), (calls) => {
    reset();
    for (const c of calls) runCall(c);
    assertStillTrains();
  }), { numRuns: 500, seed: Number(process.env.FC_SEED ?? 17), includeErrorInReport: true });
});

test('the module helpers take the same care: loadEngine, defaultOptionsFor, scheduleBatches', async () => {
  await fc.assert(fc.asyncProperty(fc.oneof(value, plausibleObject), async (options) => {
    // Options that would really load a build (wasmBinary left out) are not this test's business.
    fc.pre(!(options === undefined || (isPlainObject(options) && options.wasmBinary === undefined &&
      ['simd', 'scalar', 'simd-threads', undefined].includes(options.flavor) && options.factory === undefined)));
    let error;
    try {
      await loadEngine(options);
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof EngineError, `loadEngine(${fc.stringify(options)}) gave ${error?.constructor?.name}: ${error?.message}`);
  }), { numRuns: 150, seed: 19, includeErrorInReport: true });

  fc.assert(fc.property(value, (output) => {
    const outcome = outcomeOf(() => `defaultOptionsFor(${fc.stringify(output)})`, () => defaultOptionsFor(output));
    if (outcome.error === undefined) assert.ok(output === undefined || output === 'sigmoid-l2' || output === 'softmax-xent');
  }), { numRuns: 200, seed: 23, includeErrorInReport: true });

  fc.assert(fc.property(fc.oneof(plausibleObject, value, fc.record({ epochs: numbers, warmupEpochs: numbers, stepEpochs: numbers }, { requiredKeys: ['epochs'] })),
    fc.oneof(numbers, value), fc.oneof(numbers, value, fc.constant(undefined)), (run, perEpoch, step) => {
      const outcome = outcomeOf(() => 'scheduleBatches', () => scheduleBatches(run, perEpoch, step));
      if (outcome.error === undefined) {
        for (const n of Object.values(outcome.result)) assert.ok(Number.isInteger(n) && n >= 0, `scheduleBatches gave ${n}`);
      }
    }), { numRuns: 300, seed: 29, includeErrorInReport: true });
});

test('the examples of issue 13 are refused with a message, and a disposed engine says so', async () => {
  reset();
  const cases = [
    [() => engine.train('3'), /batches must be a whole number from 0 to 1000000, not '3'/],
    [() => engine.train([]), /batches must be a whole number.*not an array/],
    [() => engine.train(null), /batches must be a whole number.*not null/],
    [() => engine.train(1.5), /batches must be a whole number.*not 1\.5/],
    [() => engine.train(-1), /batches must be a whole number.*not -1/],
    [() => engine.createModel(5), /createModel takes an options object.*not 5/],
    [() => engine.createModel('x'), /createModel takes an options object.*not 'x'/],
    [() => engine.loadData('train', IMAGES, LABELS_FILE, { limit: true }), /limit must be 0 \(all\) or a whole number of samples, not true/],
    [() => engine.loadData('train', IMAGES, LABELS_FILE, { limit: 1.5 }), /limit must be .* not 1\.5/],
    [() => engine.loadData('train', detachedBytes(100), LABELS_FILE), /images is a Uint8Array whose buffer has been detached/],
    [() => engine.loadModel(detachedBytes(100)), /the model is a Uint8Array whose buffer has been detached/],
    [() => engine.predict(detachedBytes(FEATURES)), /pixels is a Uint8Array whose buffer has been detached/],
    [() => engine.saveModel({ optimizerState: 'yes' }), /optimizerState must be true or false/],
    [() => defaultOptionsFor('constructor'), /output must be 'sigmoid-l2' or 'softmax-xent', not 'constructor'/],
  ];
  for (const [fn, pattern] of cases) assert.throws(fn, (error) => error instanceof EngineError && pattern.test(error.message), String(pattern));
  await assert.rejects(loadEngine({ flavor: 'constructor' }), (error) => error instanceof EngineError && /unknown engine flavor 'constructor'/.test(error.message));
  assert.equal(engine.info().trainCount, COUNT, 'the refused loads kept the data');
  assertStillTrains();

  const disposable = await loadNodeEngine('simd');
  disposable.dispose();
  disposable.dispose();
  assert.throws(() => disposable.info(), (error) => error instanceof EngineError && /disposed/.test(error.message));
  assert.throws(() => disposable.train(1), (error) => error instanceof EngineError && /disposed/.test(error.message));
});
