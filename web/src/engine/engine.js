// The one JavaScript wrapper around the wasm engine, shared by the Node tools and the browser worker.
// It loads the SIMD or scalar build, and turns the module's `error` fields into thrown Errors so that
// callers cannot miss a failure. It never touches the file system or the network by itself: Node passes
// `wasmBinary`, the browser passes `locateFile`.

/** The default network: the original numpy model, 784 -> 2048 -> ReLU -> 10 -> sigmoid, L2 loss. */
export const DEFAULT_MODEL = Object.freeze({ sizes: Object.freeze([784, 2048, 10]), output: 'sigmoid-l2', seed: 1 });
/** Defaults that reach >= 98% test accuracy on MNIST in 5 epochs (see README). */
export const DEFAULT_OPTIONS = Object.freeze({ batchSize: 64, learningRate: 1, momentum: 0.9 });

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

  /** A fresh model; unspecified fields take DEFAULT_MODEL's values. */
  createModel(config = {}) {
    check(this.#raw.createModel({ ...DEFAULT_MODEL, sizes: [...DEFAULT_MODEL.sizes], ...config }));
    return this.info();
  }

  /** Changes batch size, learning rate and/or momentum; takes effect at the next batch. */
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

  /** Loss, accuracy and 10×10 confusion matrix on the first `limit` samples of a split (0: all). */
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

  /** The model in scratchnet's file format (README: "Model file format"). */
  saveModel() {
    return this.#raw.saveModel();
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
