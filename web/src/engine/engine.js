// The one JavaScript wrapper around the wasm engine, shared by the Node tools and the browser worker, and the
// package's main entry (`scratchnet`; Node's loader is `scratchnet/node`, node.js). One shape for every call:
// a value on success (a plain object without an `error` field, a Float32Array or the model's bytes), an
// EngineError thrown on failure, so that callers cannot miss one. It never touches the file system or the
// network by itself: Node passes `wasmBinary`, the browser passes `locateFile`.

import {
  COMMON_OPTIONS, DEFAULT_HIDDEN, DEFAULT_LEARNING_RATES, DEFAULT_MODEL, DEFAULT_RUN, LIMITS,
} from './defaults.js';

export * from './defaults.js';

/** The training defaults that learn with this output and loss (the learning rate differs between them). */
export function defaultOptionsFor(output = 'sigmoid-l2') {
  if (typeof output !== 'string' || !Object.hasOwn(DEFAULT_LEARNING_RATES, output))
    throw new EngineError(`output must be ${oneOf(Object.keys(DEFAULT_LEARNING_RATES))}, not ${describe(output)}`);
  return Object.freeze({ ...COMMON_OPTIONS, learningRate: DEFAULT_LEARNING_RATES[output] });
}
/**
 * The schedule's lengths in batches, as setOptions takes them, for a run of `epochs` more epochs from the model's
 * `step` (its clock: 0 for a new model). Warm-up and the step schedule's interval are given in epochs; a cosine
 * decay ends with the run, so a continued model's decay stretches over the new run.
 */
export function scheduleBatches(run, batchesPerEpoch, step = 0) {
  const { epochs, warmupEpochs = DEFAULT_RUN.warmupEpochs, stepEpochs = DEFAULT_RUN.stepEpochs } = optionsObject(run, 'scheduleBatches', { required: true, what: 'a run object ({epochs, warmupEpochs, stepEpochs})' });
  finiteNumber(epochs, 'epochs', 0);
  finiteNumber(warmupEpochs, 'warmupEpochs', 0);
  finiteNumber(stepEpochs, 'stepEpochs', 0);
  wholeNumber(batchesPerEpoch, 'batchesPerEpoch', 1, Number.MAX_SAFE_INTEGER);
  wholeNumber(step, 'step', 0, Number.MAX_SAFE_INTEGER);
  const batches = (count) => Math.round(count * batchesPerEpoch);
  return { warmupBatches: batches(warmupEpochs), scheduleBatches: step + batches(epochs), stepBatches: Math.max(1, batches(stepEpochs)) };
}


export class EngineError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'EngineError';
  }
}

// Checks at the boundary. The module's own checks see values after Embind has coerced them ('3' becomes 3,
// null and [] become 0, true becomes 1), so every number, string, byte array and options object is checked
// here first, as it was given, and refused with an EngineError worded like the engine's own messages.

/** A value as a message shows it, whatever its type (a symbol or a null-prototype object cannot be templated). */
function describe(value) {
  switch (typeof value) {
    case 'string': return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
    case 'number': return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint': return `${value}n (a BigInt)`;
    case 'symbol': return 'a symbol';
    case 'function': return 'a function';
    case 'undefined': return 'undefined';
    case 'boolean': return String(value);
    default:
      if (value === null) return 'null';
      if (Array.isArray(value)) return `an array of ${value.length}`;
      if (ArrayBuffer.isView(value)) return `a ${value.constructor?.name ?? 'typed array'}`;
      if (value instanceof ArrayBuffer) return 'an ArrayBuffer';
      if (isPlainObject(value)) return 'an object';
      return `a ${Object.prototype.toString.call(value).slice(8, -1)} object`;
  }
}

const oneOf = (names) => names.length === 1 ? `'${names[0]}'` : `${names.slice(0, -1).map((n) => `'${n}'`).join(', ')} or '${names.at(-1)}'`;

/** A whole number from min to max, given as a number (not a string, boolean, null or array). */
function wholeNumber(value, name, min, max) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new EngineError(`${name} must be a whole number from ${min} to ${max}, not ${describe(value)}`);
  return value;
}

/** A finite number of at least min. */
function finiteNumber(value, name, min) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    throw new EngineError(`${name} must be a finite number of at least ${min}, not ${describe(value)}`);
  return value;
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && Object.prototype.toString.call(value) === '[object Object]';
}

/** An options object, or undefined for all the defaults ({}) unless `required`; anything else is refused, null too. */
function optionsObject(value, call, { required = false, what = 'an options object' } = {}) {
  if (value === undefined && !required) return {};
  if (!isPlainObject(value)) throw new EngineError(`${call} takes ${what}${required ? '' : ' (or nothing, for the defaults)'}, not ${describe(value)}`);
  return value;
}

/** A count of samples: 0 for all, or a whole number (larger than the set: all). */
function limitOption(options, call) {
  const { limit = 0 } = optionsObject(options, call);
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)
    throw new EngineError(`limit must be 0 (all) or a whole number of samples, not ${describe(limit)}`);
  // Passed on capped: a count past 2^32 would not fit the engine's 32-bit size_t, and no set is that large.
  return Math.min(limit, 2 ** 31 - 1);
}

const SPLITS = Object.freeze(['train', 'test']);
function splitName(split) {
  if (typeof split !== 'string' || !SPLITS.includes(split)) throw new EngineError(`split must be ${oneOf(SPLITS)}, not ${describe(split)}`);
  return split;
}

/** Whether an ArrayBuffer has been detached (transferred to a worker, say): it then reads as empty. */
function isDetached(buffer) {
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength > 0) return false; // a SharedArrayBuffer cannot be detached
  try {
    buffer.slice(0, 0);
    return false;
  } catch {
    return true;
  }
}

/** A Uint8Array whose buffer is still there. */
function bytesArgument(value, name) {
  if (!(value instanceof Uint8Array)) throw new EngineError(`${name} must be a Uint8Array, not ${describe(value)}`);
  if (isDetached(value.buffer))
    throw new EngineError(`${name} is a Uint8Array whose buffer has been detached (transferred elsewhere, e.g. to a worker): pass a copy`);
  return value;
}

/** Largest number of layer sizes a network takes: the input, the hidden layers, the output. */
const MAX_SIZES = LIMITS.hiddenLayers + 2;

/**
 * The module's answer as the one shape this wrapper gives: its `error` (a field, or the bare string that some
 * calls return) thrown as an EngineError; on success the result without that field.
 */
function check(result) {
  const error = typeof result === 'string' ? result : result.error;
  if (error) throw new EngineError(error);
  if (typeof result === 'string') return undefined;
  const { error: _none, ...value } = result;
  return value;
}

const factories = {
  simd: () => import('../wasm/scratchnet-simd.js'),
  scalar: () => import('../wasm/scratchnet-scalar.js'),
  // pthreads: only where SharedArrayBuffer exists, i.e. a cross-origin-isolated page
  'simd-threads': () => import('../wasm/scratchnet-simd-threads.js'),
};

/**
 * Loads one build of the engine.
 * @param {{flavor?: 'simd'|'scalar'|'simd-threads', wasmBinary?: ArrayBuffer|Uint8Array, locateFile?: (path: string, prefix: string) => string, factory?: Function}} [options]
 * `factory` runs another build of the same module (Node's CommonJS pthread build, flavor 'simd-threads').
 */
export async function loadEngine(options) {
  const { flavor = 'simd', wasmBinary, locateFile, factory } = optionsObject(options, 'loadEngine');
  if (typeof flavor !== 'string' || !Object.hasOwn(factories, flavor))
    throw new EngineError(`unknown engine flavor ${describe(flavor)} (${Object.keys(factories).join(', ')})`);
  if (factory !== undefined && typeof factory !== 'function') throw new EngineError(`factory must be a function, not ${describe(factory)}`);
  if (locateFile !== undefined && typeof locateFile !== 'function') throw new EngineError(`locateFile must be a function, not ${describe(locateFile)}`);
  if (wasmBinary !== undefined) {
    const isBuffer = wasmBinary instanceof ArrayBuffer;
    if (!isBuffer && !(wasmBinary instanceof Uint8Array)) throw new EngineError(`wasmBinary must be an ArrayBuffer or a Uint8Array, not ${describe(wasmBinary)}`);
    if (isDetached(isBuffer ? wasmBinary : wasmBinary.buffer)) throw new EngineError('wasmBinary has been detached (transferred elsewhere): pass a copy');
    const head = new Uint8Array(isBuffer ? wasmBinary : wasmBinary.buffer, isBuffer ? 0 : wasmBinary.byteOffset, Math.min(4, wasmBinary.byteLength));
    if (head.length < 4 || head[0] !== 0 || head[1] !== 0x61 || head[2] !== 0x73 || head[3] !== 0x6d)
      throw new EngineError('wasmBinary is not a WebAssembly module (it does not start with \\0asm)');
  }
  const createScratchnet = factory ?? (await factories[flavor]()).default;
  const module = await createScratchnet({ ...(wasmBinary && { wasmBinary }), ...(locateFile && { locateFile }) });
  module.unrefThreads?.(); // Node's pthread build: idle pool workers must not keep the process alive
  return new Engine(module, flavor);
}

/** A float32 from the module as the shortest decimal that is the same float32 (0.9f reads 0.8999999761...). */
function shortestFloat(value) {
  if (!Number.isFinite(value) || Number.isInteger(value)) return value;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === Math.fround(value)) return candidate;
  }
  return value;
}

/** A module's plain result with every float32 number as its shortest decimal, arrays and objects walked. */
function decimals(value) {
  if (typeof value === 'number') return shortestFloat(value);
  if (Array.isArray(value)) return value.map(decimals);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, decimals(item)]));
  return value;
}

export class Engine {
  #module;
  #raw;
  #disposed = false;

  constructor(module, flavor) {
    this.#module = module;
    this.#raw = new module.Engine();
    this.flavor = flavor;
    /** 'wasm-simd128' or 'scalar' */
    this.backend = module.backend();
    /** Threads that really ran a kernel's parts just now: 2 for the pthread build, 1 for the others. */
    this.threads = module.threadsWorking();
  }

  /** The module's engine, while this one has not been disposed. */
  get #engine() {
    if (this.#disposed) throw new EngineError('this engine has been disposed: load a new one');
    return this.#raw;
  }

  /** Bytes of linear memory the module holds now. */
  memoryBytes() {
    return this.#module.memoryBytes();
  }

  /** What the engine accepts at most, as its C++ has it (the LIMITS export holds the same). */
  limits() {
    return decimals(this.#module.limits());
  }

  /**
   * The engine's defaults, as its C++ has them: {model, options (without the learning rate), learningRates (SGD's,
   * per output), adamLearningRate}; DEFAULT_MODEL, defaultOptionsFor() and ADAM_LEARNING_RATE hold the same.
   */
  defaults() {
    return decimals(this.#module.defaults());
  }

  /** Hands over the uncompressed IDX files of a split; keeps the first `limit` samples (0: all). */
  loadData(split, images, labels, options) {
    splitName(split);
    bytesArgument(images, 'images');
    bytesArgument(labels, 'labels');
    const limit = limitOption(options, 'loadData');
    return check(this.#engine.loadData(split, images, labels, limit));
  }

  /**
   * A fresh model; unspecified fields take DEFAULT_MODEL's values. Without `sizes`, the sizes are the loaded
   * training set's features, `hidden` (default [2048]) and the set's classes.
   */
  createModel(options) {
    const { hidden = DEFAULT_HIDDEN, ...config } = optionsObject(options, 'createModel');
    if (!Array.isArray(hidden)) throw new EngineError(`hidden must be an array of layer sizes, not ${describe(hidden)}`);
    if (hidden.length > MAX_SIZES - 2 || (Array.isArray(config.sizes) && config.sizes.length > MAX_SIZES)) {
      const count = Array.isArray(config.sizes) ? config.sizes.length : hidden.length + 2;
      throw new EngineError(`too many layers (at most ${MAX_SIZES} sizes, ${MAX_SIZES - 2} of them hidden); got ${count}`);
    }
    const info = this.#engine.info();
    const [rows, cols] = info.trainShape;
    const sizes = config.sizes ?? (info.trainCount > 0 ? [rows * cols, ...hidden, Math.max(2, info.trainClasses)] : [784, ...hidden, 10]);
    check(this.#engine.createModel({ ...DEFAULT_MODEL, ...config, sizes }));
    return this.info();
  }

  /** Changes any training option (TrainOptions); takes effect at the next batch. */
  setOptions(options) {
    check(this.#engine.setOptions(optionsObject(options, 'setOptions', { required: true })));
    return this.info();
  }

  /**
   * Runs `batches` mini-batches inside wasm. A diverging run throws an EngineError whose `summary` holds
   * what was done before it; the model has then been rolled back to its last good state.
   */
  train(batches) {
    wholeNumber(batches, 'batches', 0, LIMITS.trainBatches);
    const { error: message, ...summary } = this.#engine.train(batches);
    if (message) {
      const error = new EngineError(message);
      error.summary = summary;
      error.diverged = summary.diverged;
      throw error;
    }
    return summary;
  }

  /** Loss, accuracy and classes × classes confusion matrix on the first `limit` samples of a split (0: all). */
  evaluate(split, options) {
    splitName(split);
    const limit = limitOption(options, 'evaluate');
    return check(this.#engine.evaluate(split, limit));
  }

  /** Class probabilities [count × outputs] for images given as 0..255 pixels [count × inputs]. */
  predict(pixels) {
    bytesArgument(pixels, 'pixels');
    return check(this.#engine.predict(pixels)).scores;
  }

  /** The weights into the first layer's first `units` units: {units, inputs, weights: Float32Array(units × inputs)}. */
  firstLayerWeights(units) {
    const engine = this.#engine;
    if (typeof units !== 'number' || !Number.isInteger(units)) wholeNumber(units, 'units', 1, engine.info().sizes[1]);
    return check(engine.firstLayerWeights(units));
  }

  /**
   * The model in scratchnet's file format (README: "Model file format"); with `optimizerState`, also the
   * optimizer's state and step count, so that training on from the file goes as if it had never stopped.
   */
  saveModel(options) {
    const { optimizerState = false } = optionsObject(options, 'saveModel');
    if (typeof optimizerState !== 'boolean') throw new EngineError(`optimizerState must be true or false, not ${describe(optimizerState)}`);
    return this.#engine.saveModel({ optimizerState });
  }

  /**
   * The model as an ONNX file (docs/model-format.md, "ONNX export"). Async: the encoder is a module of its own,
   * imported on first use, so that the page and the embed load it only if they export. The model is taken when
   * called, before the first await.
   */
  async exportOnnx() {
    const bytes = this.saveModel();
    const { modelFileToOnnx } = await import('./onnx-export.js');
    return modelFileToOnnx(bytes);
  }

  /** Replaces the model with a saved one; a bad file throws and leaves the current model as it was. */
  loadModel(bytes) {
    bytesArgument(bytes, 'the model');
    check(this.#engine.loadModel(bytes));
    return this.info();
  }

  info() {
    return this.#engine.info();
  }

  /** Frees the module's engine; later calls throw an EngineError (a second dispose does nothing). */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#raw.delete();
  }
}
