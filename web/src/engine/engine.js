// The one JavaScript wrapper around the wasm engine, shared by the Node tools and the browser worker.
// It loads the SIMD or scalar build, and turns the module's `error` fields into thrown Errors so that
// callers cannot miss a failure. It never touches the file system or the network by itself: Node passes
// `wasmBinary`, the browser passes `locateFile`.

/**
 * The default network: the original numpy model, 784 -> 2048 -> ReLU -> 10 -> sigmoid, L2 loss, for MNIST; for
 * another set the input and output sizes are its own (createModel). Input scaling chosen for the set ('auto').
 */
export const DEFAULT_MODEL = Object.freeze({ sizes: Object.freeze([784, 2048, 10]), output: 'sigmoid-l2', seed: 1, scaling: 'auto' });
export const DEFAULT_HIDDEN = Object.freeze([2048]);

const COMMON_OPTIONS = Object.freeze({
  batchSize: 64, momentum: 0.9, optimizer: 'sgd', weightDecay: 0, dropout: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
  schedule: 'constant', warmupBatches: 0, scheduleBatches: 0, stepBatches: 0, stepGamma: 0.1,
});
/** Per output and loss, the learning rates that learn with the default network, constant or under the cosine
 * schedule (docs/training.md). */
const DEFAULT_RATES = Object.freeze({ 'sigmoid-l2': 2, 'softmax-xent': 0.1 });
/**
 * The schedule of a run whose length is known (the CLI and the page): the rate falls by cosine to 0 at its end,
 * which learnt Fashion-MNIST a point better than a constant rate (docs/training.md). The engine's own default stays
 * 'constant': a cosine needs the run's length (scheduleBatches).
 */
export const DEFAULT_RUN_SCHEDULE = 'cosine';
/** Adam's rate is the same for both losses: it follows the gradient's sign and scale, not its size. */
export const ADAM_LEARNING_RATE = 0.001;

/** The training defaults that learn with this output and loss (the learning rate differs between them). */
export function defaultOptionsFor(output = 'sigmoid-l2') {
  if (!(output in DEFAULT_RATES)) throw new EngineError(`unknown output '${output}' (${Object.keys(DEFAULT_RATES).join(', ')})`);
  return Object.freeze({ ...COMMON_OPTIONS, learningRate: DEFAULT_RATES[output] });
}
/**
 * The schedule's lengths in batches, as setOptions takes them, for a run of `epochs` more epochs from the model's
 * `step` (its clock: 0 for a new model). Warm-up and the step schedule's interval are given in epochs; a cosine
 * decay ends with the run, so a continued model's decay stretches over the new run.
 */
export function scheduleBatches({ epochs, warmupEpochs = 0, stepEpochs = 2 }, batchesPerEpoch, step = 0) {
  const batches = (count) => Math.round(count * batchesPerEpoch);
  return { warmupBatches: batches(warmupEpochs), scheduleBatches: step + batches(epochs), stepBatches: Math.max(1, batches(stepEpochs)) };
}

/** The training defaults for the default output, sigmoid + L2. */
export const DEFAULT_OPTIONS = defaultOptionsFor('sigmoid-l2');

export class EngineError extends Error {
  constructor(message) {
    super(message);
    this.name = 'EngineError';
  }
}

function check(result) {
  const error = typeof result === 'string' ? result : result.error;
  if (error) throw new EngineError(error);
  return result;
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
export async function loadEngine({ flavor = 'simd', wasmBinary, locateFile, factory } = {}) {
  if (!factory && !(flavor in factories)) throw new EngineError(`unknown engine flavor '${flavor}' (${Object.keys(factories).join(', ')})`);
  const createScratchnet = factory ?? (await factories[flavor]()).default;
  const module = await createScratchnet({ ...(wasmBinary && { wasmBinary }), ...(locateFile && { locateFile }) });
  module.unrefThreads?.(); // Node's pthread build: idle pool workers must not keep the process alive
  return new Engine(module, flavor);
}

export class Engine {
  #module;
  #raw;

  constructor(module, flavor) {
    this.#module = module;
    this.#raw = new module.Engine();
    this.flavor = flavor;
    /** 'wasm-simd128' or 'scalar' */
    this.backend = module.backend();
  }

  /** Bytes of linear memory the module holds now. */
  memoryBytes() {
    return this.#module.memoryBytes();
  }

  /** Hands over the uncompressed IDX files of a split; keeps the first `limit` samples (0: all). */
  loadData(split, images, labels, { limit = 0 } = {}) {
    return check(this.#raw.loadData(split, images, labels, limit));
  }

  /**
   * A fresh model; unspecified fields take DEFAULT_MODEL's values. Without `sizes`, the sizes are the loaded
   * training set's features, `hidden` (default [2048]) and the set's classes.
   */
  createModel({ hidden = DEFAULT_HIDDEN, ...config } = {}) {
    const info = this.#raw.info();
    const [rows, cols] = info.trainShape;
    const sizes = config.sizes ?? (info.trainCount > 0 ? [rows * cols, ...hidden, Math.max(2, info.trainClasses)] : [784, ...hidden, 10]);
    check(this.#raw.createModel({ ...DEFAULT_MODEL, ...config, sizes }));
    return this.info();
  }

  /** Changes any training option (TrainOptions); takes effect at the next batch. */
  setOptions(options) {
    check(this.#raw.setOptions(options));
    return this.info();
  }

  /**
   * Runs `batches` mini-batches inside wasm. A diverging run throws an EngineError whose `summary` holds
   * what was done before it; the model has then been rolled back to its last good state.
   */
  train(batches) {
    const summary = this.#raw.train(batches);
    if (summary.error) {
      const error = new EngineError(summary.error);
      error.summary = summary;
      error.diverged = summary.diverged;
      throw error;
    }
    return summary;
  }

  /** Loss, accuracy and classes × classes confusion matrix on the first `limit` samples of a split (0: all). */
  evaluate(split, { limit = 0 } = {}) {
    return check(this.#raw.evaluate(split, limit));
  }

  /** Class probabilities [count × outputs] for images given as 0..255 pixels [count × inputs]. */
  predict(pixels) {
    return check(this.#raw.predict(pixels)).scores;
  }

  /** The weights into the first layer's first `units` units: {units, inputs, weights: Float32Array(units × inputs)}. */
  firstLayerWeights(units) {
    return check(this.#raw.firstLayerWeights(units));
  }

  /**
   * The model in scratchnet's file format (README: "Model file format"); with `optimizerState`, also the
   * optimizer's state and step count, so that training on from the file goes as if it had never stopped.
   */
  saveModel({ optimizerState = false } = {}) {
    return this.#raw.saveModel({ optimizerState: Boolean(optimizerState) });
  }

  /** Replaces the model with a saved one; a bad file throws and leaves the current model as it was. */
  loadModel(bytes) {
    check(this.#raw.loadModel(bytes));
    return this.info();
  }

  info() {
    return this.#raw.info();
  }

  dispose() {
    this.#raw.delete();
  }
}
