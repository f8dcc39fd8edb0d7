// The one JavaScript wrapper around the wasm engine, shared by the Node tools and the browser worker, and the
// package's main entry (`scratchnet`; Node's loader is `scratchnet/node`, node.js). One shape for every call:
// a value on success (a plain object without an `error` field, a Float32Array or the model's bytes), an
// EngineError thrown on failure, so that callers cannot miss one. It never touches the file system or the
// network by itself: Node passes `wasmBinary`, the browser passes `locateFile`.

import {
  COMMON_OPTIONS, DEFAULT_HIDDEN, DEFAULT_LABEL_SMOOTHING, DEFAULT_LEARNING_RATES, DEFAULT_MODEL, DEFAULT_RUN, LIMITS,
} from './defaults.js';

export * from './defaults.js';

/** The training defaults that learn with this output and loss (the learning rate and label smoothing differ between them). */
export function defaultOptionsFor(output = 'sigmoid-l2') {
  if (typeof output !== 'string' || !Object.hasOwn(DEFAULT_LEARNING_RATES, output))
    throw new EngineError(`output must be ${oneOf(Object.keys(DEFAULT_LEARNING_RATES))}, not ${describe(output)}`);
  return Object.freeze({ ...COMMON_OPTIONS, learningRate: DEFAULT_LEARNING_RATES[output], labelSmoothing: DEFAULT_LABEL_SMOOTHING[output] });
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

// Checks at the boundary. The module's C functions take numbers and pointers only, so every number, string, byte
// array and options object is checked here first, as it was given, and refused with an EngineError worded like the
// engine's own messages; a field the engine reads is passed on as NaN (a number) or '' (a string) if it is not of
// its type, for the engine to refuse with its message.

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

/** The module's answer as the one shape this wrapper gives: its `error` thrown as an EngineError, else the result without it. */
function check(result) {
  const { error, ...value } = result;
  if (error) throw new EngineError(error);
  return value;
}

// ---- the C boundary (cpp/bindings/scratchnet_bindings.cpp) ----

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The module's memory as bytes, taken anew at each use: when memory grows, the views over the old buffer are
 * detached. The glue renews HEAPU8 when its own thread grows it; a pthread build's may grow from another thread, so
 * its Memory is asked.
 */
function wasmBytes(module) {
  return new Uint8Array(module.wasmMemory?.buffer ?? module.HEAPU8.buffer);
}

/** A string as the C functions take it: its UTF-8 length (32 bits, little-endian), then the bytes. */
function textArgument(text) {
  const utf8 = encoder.encode(text);
  const bytes = new Uint8Array(4 + utf8.length);
  new DataView(bytes.buffer).setUint32(0, utf8.length, true);
  bytes.set(utf8, 4);
  return bytes;
}

/**
 * Calls the module's C function scratchnet_`name`: numbers go as they are; null as a null pointer; strings, byte
 * arrays and Float64Arrays are copied into one block of wasm memory (freed after the call) and go as pointers.
 * Returns its Reply decoded, copied out of wasm memory.
 */
function invoke(module, name, ...args) {
  const parts = args.map((arg) => (typeof arg === 'string' ? textArgument(arg) : arg));
  let size = 0;
  const offsets = parts.map((part) => {
    if (!ArrayBuffer.isView(part)) return -1;
    const offset = size;
    size += Math.max(8, Math.ceil(part.byteLength / 8) * 8); // 8-aligned, and never a null pointer
    return offset;
  });
  const block = size && module._malloc(size);
  if (size && !block) throw new EngineError(`the engine's memory has no room for these ${size} bytes of arguments`);
  try {
    const bytes = wasmBytes(module);
    parts.forEach((part, i) => offsets[i] >= 0 && bytes.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), block + offsets[i]));
    return readReply(module, module[`_scratchnet_${name}`](...parts.map((part, i) => (offsets[i] >= 0 ? block + offsets[i] : part ?? 0))));
  } finally {
    if (block) module._free(block);
  }
}

/**
 * A Reply (eight Uint32s: error, its size; fields, their size; numbers, their count; data, its size in bytes) as
 * a plain object {error, ...fields}, copied out so that nothing aliases wasm memory. Its field lines: "name" takes
 * the next number, "name?" the next as a boolean, "name*N" the next N as an array, "name=text" a string, "name@" the
 * data as a Float32Array, "name#" as a Uint8Array; a dotted name is a field of a nested object.
 */
function readReply(module, pointer) {
  const bytes = wasmBytes(module);
  const [error, errorSize, fields, fieldsSize, numbers, count, data, dataSize] = new Uint32Array(bytes.buffer, pointer, 8);
  const text = (at, length) => decoder.decode(bytes.slice(at, at + length));
  const values = new Float64Array(bytes.slice(numbers, numbers + 8 * count).buffer);
  const result = { error: text(error, errorSize) };
  let next = 0;
  for (const line of text(fields, fieldsSize).split('\n')) {
    const [, path, kind, rest] = /^([^=?*@#]*)(.?)(.*)$/.exec(line);
    if (!path) continue;
    let value;
    if (kind === '') value = values[next++];
    else if (kind === '?') value = values[next++] !== 0;
    else if (kind === '*') value = Array.from(values.subarray(next, (next += Number(rest))));
    else if (kind === '=') value = rest;
    else {
      const copy = bytes.slice(data, data + dataSize);
      value = kind === '@' ? new Float32Array(copy.buffer) : copy;
    }
    const keys = path.split('.');
    const into = keys.slice(0, -1).reduce((object, key) => (object[key] ??= {}), result);
    into[keys.at(-1)] = value;
  }
  return result;
}

/** The bytes of an IDX file the engine checks it from before taking it whole (Dataset::kIdxHeadBytes). */
const IDX_HEAD_BYTES = 16;

/** setOptions' numeric options, in the order of the C++'s OptionNumber. */
const OPTION_NUMBERS = ['batchSize', 'learningRate', 'momentum', 'weightDecay', 'dropout', 'beta1', 'beta2', 'epsilon',
  'warmupBatches', 'scheduleBatches', 'stepBatches', 'stepGamma', 'labelSmoothing'];
/** A field given to the engine: a number as it is, anything else NaN, for the engine to refuse with its message. */
const numberField = (value) => (typeof value === 'number' ? value : NaN);
/** A name given to the engine: null if not given, a string as it is, anything else '', which names nothing. */
const choiceField = (value) => (value === undefined ? null : typeof value === 'string' ? value : '');

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
  #handle;
  #disposed = false;

  constructor(module, flavor) {
    this.#module = module;
    this.#handle = module._scratchnet_new();
    this.flavor = flavor;
    /** 'wasm-simd128' or 'scalar' */
    this.backend = invoke(module, 'backend').name;
    /** Threads that really ran a kernel's parts just now: 2 for the pthread build, 1 for the others. */
    this.threads = module._scratchnet_threads_working();
  }

  /** Calls the module's scratchnet_`name` on this engine, while it has not been disposed. */
  #call(name, ...args) {
    if (this.#disposed) throw new EngineError('this engine has been disposed: load a new one');
    return invoke(this.#module, name, this.#handle, ...args);
  }

  /** Bytes of linear memory the module holds now. */
  memoryBytes() {
    return this.#module._scratchnet_memory_bytes();
  }

  /** What the engine accepts at most, as its C++ has it (the LIMITS export holds the same). */
  limits() {
    return decimals(check(invoke(this.#module, 'limits')));
  }

  /**
   * The engine's defaults, as its C++ has them: {model, options (without the learning rate and the label smoothing),
   * learningRates (SGD's, per output), adamLearningRate, labelSmoothing (per output)}; DEFAULT_MODEL,
   * defaultOptionsFor() and ADAM_LEARNING_RATE hold the same.
   */
  defaults() {
    return decimals(check(invoke(this.#module, 'defaults')));
  }

  /** Hands over the uncompressed IDX files of a split; keeps the first `limit` samples (0: all). */
  loadData(split, images, labels, options) {
    splitName(split);
    bytesArgument(images, 'images');
    bytesArgument(labels, 'labels');
    const limit = limitOption(options, 'loadData');
    // The engine checks the headers and makes room, then the files are copied straight to where it keeps them.
    const head = (bytes) => bytes.subarray(0, IDX_HEAD_BYTES);
    const room = check(this.#call('stage_data', split, head(images), images.length, head(labels), labels.length, limit));
    const memory = wasmBytes(this.#module);
    memory.set(images, room.images);
    memory.set(labels, room.labels);
    return check(this.#call('load_data'));
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
    const info = this.info();
    const [rows, cols] = info.trainShape;
    const sizes = config.sizes ?? (info.trainCount > 0 ? [rows * cols, ...hidden, Math.max(2, info.trainClasses)] : [784, ...hidden, 10]);
    if (!Array.isArray(sizes)) throw new EngineError('sizes must be an array of layer sizes');
    const { output, seed, scaling } = { ...DEFAULT_MODEL, ...config };
    check(this.#call('create_model', Float64Array.from(sizes, numberField), sizes.length, choiceField(output), choiceField(scaling),
      numberField(seed), seed === undefined ? 0 : 1));
    return this.info();
  }

  /** Changes any training option (TrainOptions); takes effect at the next batch. */
  setOptions(options) {
    const given = optionsObject(options, 'setOptions', { required: true });
    const values = new Float64Array(OPTION_NUMBERS.length);
    let mask = 0;
    OPTION_NUMBERS.forEach((key, i) => {
      if (given[key] === undefined) return;
      values[i] = numberField(given[key]);
      mask |= 1 << i;
    });
    check(this.#call('set_options', values, mask, choiceField(given.optimizer), choiceField(given.schedule)));
    return this.info();
  }

  /**
   * Runs `batches` mini-batches inside wasm. A diverging run throws an EngineError whose `summary` holds
   * what was done before it; the model has then been rolled back to its last good state.
   */
  train(batches) {
    wholeNumber(batches, 'batches', 0, LIMITS.trainBatches);
    const { error: message, ...summary } = this.#call('train', batches);
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
    return check(this.#call('evaluate', split, limit));
  }

  /** Class probabilities [count × outputs] for images given as 0..255 pixels [count × inputs]. */
  predict(pixels) {
    bytesArgument(pixels, 'pixels');
    return check(this.#call('predict', pixels, pixels.length)).scores;
  }

  /** The weights into the first layer's first `units` units: {units, inputs, weights: Float32Array(units × inputs)}. */
  firstLayerWeights(units) {
    if (typeof units !== 'number' || !Number.isInteger(units)) wholeNumber(units, 'units', 1, this.info().sizes[1]);
    return check(this.#call('first_layer_weights', units));
  }

  /**
   * The model in scratchnet's file format (README: "Model file format"); with `optimizerState`, also the
   * optimizer's state and step count, so that training on from the file goes as if it had never stopped.
   */
  saveModel(options) {
    const { optimizerState = false } = optionsObject(options, 'saveModel');
    if (typeof optimizerState !== 'boolean') throw new EngineError(`optimizerState must be true or false, not ${describe(optimizerState)}`);
    return check(this.#call('save_model', optimizerState ? 1 : 0)).model;
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
    check(this.#call('load_model', bytes, bytes.length));
    return this.info();
  }

  info() {
    return check(this.#call('info'));
  }

  /** Frees the module's engine; later calls throw an EngineError (a second dispose does nothing). */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#module._scratchnet_delete(this.#handle);
  }
}
