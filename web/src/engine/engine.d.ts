// Types of engine.js, the package's main entry (`scratchnet`). Checked against the code by tests/types/package-usage.ts
// (tsc in npm run test:web; compiled and run on the packed package by tests/node/package.test.mjs).
import type {
  DataInfo, Evaluation, FirstLayerWeights, ModelConfig, ModelInfo, Optimizer, OutputLoss, Scaling, ScalingChoice, Schedule,
  Split, TrainOptions, TrainSummary,
} from '../wasm/scratchnet-module.js';

export type {
  DataInfo, Evaluation, FirstLayerWeights, ModelConfig, ModelInfo, Optimizer, OutputLoss, Scaling, ScalingChoice, Schedule,
  Split, TrainOptions, TrainSummary,
};
import type { Defaults, Limits } from './defaults.js';

export type Flavor = 'simd' | 'scalar' | 'simd-threads';

export * from './defaults.js';
/** The training defaults that learn with this output and loss: the learning rate and label smoothing differ between them. */
export declare function defaultOptionsFor(output: OutputLoss): Readonly<Required<TrainOptions>>;
/** The schedule's lengths in batches for a run of `epochs` more epochs from the model's `step`. */
export declare function scheduleBatches(
  run: { epochs: number; warmupEpochs?: number; stepEpochs?: number }, batchesPerEpoch: number, step?: number,
): Required<Pick<TrainOptions, 'warmupBatches' | 'scheduleBatches' | 'stepBatches'>>;

/**
 * Every refused call throws one: a bad argument (checked as given, never coerced: train('3') and limit: true are
 * refused), a bad file or setting, a diverged run. The engine is left as it was.
 */
export declare class EngineError extends Error {
  /** set when train() failed: what was done before the failure */
  summary?: TrainSummary;
  diverged?: boolean;
}

export interface LoadOptions {
  flavor?: Flavor;
  wasmBinary?: ArrayBuffer | Uint8Array;
  locateFile?: (path: string, prefix: string) => string;
  /** another build of the same module, e.g. Node's CommonJS pthread build */
  factory?: import('../wasm/scratchnet-module.js').ModuleFactory;
}

/** wasmBinary must hold a WebAssembly module (it starts with \0asm) and not be detached. */
export declare function loadEngine(options?: LoadOptions): Promise<Engine>;

/**
 * Every argument is checked as given (numbers must be numbers, options objects plain objects or left out, byte
 * arrays Uint8Arrays that are not detached); anything else throws an EngineError and leaves the engine as it was.
 */
export declare class Engine {
  readonly flavor: Flavor;
  readonly backend: string;
  /** Threads that really ran a kernel's parts when the engine loaded: 2 for the pthread build, 1 for the others. */
  readonly threads: number;
  memoryBytes(): number;
  /** what the engine accepts at most, read from the module (LIMITS holds the same) */
  limits(): Limits;
  /** the engine's defaults, read from the module (DEFAULT_MODEL, defaultOptionsFor, ADAM_LEARNING_RATE hold the same) */
  defaults(): Defaults;
  /** limit: 0 (all, the default) or a whole number of samples to keep */
  loadData(split: Split, images: Uint8Array, labels: Uint8Array, options?: { limit?: number }): DataInfo;
  /** sizes default to [features, ...hidden, classes] of the loaded training set (hidden default [2048]); no argument: all defaults */
  createModel(config?: ModelConfig & { hidden?: number[] }): ModelInfo;
  setOptions(options: TrainOptions): ModelInfo;
  /** batches: a whole number from 0 to 1,000,000 */
  train(batches: number): TrainSummary;
  /** limit: 0 (all, the default) or a whole number of samples */
  evaluate(split: Split, options?: { limit?: number }): Evaluation;
  predict(pixels: Uint8Array): Float32Array;
  /** units: a whole number from 1 to the first hidden layer's width */
  firstLayerWeights(units: number): FirstLayerWeights;
  saveModel(options?: { optimizerState?: boolean }): Uint8Array;
  /**
   * The model as an ONNX file (IR 7, opset 13): input `pixels` float32 [N, inputs] of raw 0..255 pixels, output
   * `scores` float32 [N, classes], the same scores as predict. A Promise because the encoder (onnx-export.js) is
   * imported on first use, so that a bundle that never exports never loads it; the model is taken at the call.
   */
  exportOnnx(): Promise<Uint8Array>;
  loadModel(bytes: Uint8Array): ModelInfo;
  info(): ModelInfo;
  /** frees the module's engine; later calls throw an EngineError, a second dispose does nothing */
  dispose(): void;
}
