// Types of the raw Embind module built from cpp/bindings/scratchnet_bindings.cpp (Emscripten 3.1.6 has no
// --emit-tsd, so this is written by hand and must follow the C++). Use web/src/engine/engine.js rather than
// this directly: it turns `error` fields into exceptions, and its results (the types below) have none.

export type Split = 'train' | 'test';
export type OutputLoss = 'sigmoid-l2' | 'softmax-xent';
/**
 * How pixels (0..255) become inputs, fitted to the training set when the model is created:
 * 'unit' x/255 (the original); 'rms' x·s, one s for all pixels so that the inputs' root mean square is MNIST's
 * (zeros stay zero: the sparse kernels keep their speed); 'standard' (x − mean)/std per pixel, to the same
 * root mean square (dense).
 */
export type Scaling = 'unit' | 'rms' | 'standard';
/** 'auto' chooses when the model is fitted: 'rms' for a sparse set (under a third of its pixels lit), else 'standard'. */
export type ScalingChoice = Scaling | 'auto';
export type Optimizer = 'sgd' | 'adam' | 'adamw';
export type Schedule = 'constant' | 'cosine' | 'step';

export interface ModelConfig {
  /** input, hidden..., output sizes; default [features, 2048, classes] of the loaded training set */
  sizes?: number[];
  /** default 'sigmoid-l2' */
  output?: OutputLoss;
  /** whole number 0..2^32-1; default 1 */
  seed?: number;
  /** default 'auto' */
  scaling?: ScalingChoice;
}

export interface TrainOptions {
  batchSize?: number;
  learningRate?: number;
  /** SGD's momentum, 0 (plain SGD) to below 1 */
  momentum?: number;
  optimizer?: Optimizer;
  /** L2 penalty on the weights (SGD, Adam) or decoupled decay (AdamW); 0 to below 1 */
  weightDecay?: number;
  /** fraction of each hidden layer's units dropped in training, 0 to 0.9 */
  dropout?: number;
  /** Adam's moment decays and epsilon */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** the learning rate over the run: constant, cosine decay to 0 over scheduleBatches, or × stepGamma every stepBatches */
  schedule?: Schedule;
  /** batches of linear warm-up from 0 (any schedule) */
  warmupBatches?: number;
  /** cosine: the run's length in batches (warm-up included) */
  scheduleBatches?: number;
  stepBatches?: number;
  stepGamma?: number;
}

/** The raw module's failure field; engine.js throws it as an EngineError and drops it from its results. */
export interface Failure {
  /** empty on success */
  error: string;
}

export interface DataInfo {
  count: number;
  /** image height and width; a 1-D IDX set (N × features) has rows 1 */
  rows: number;
  cols: number;
  /** the set's largest label + 1 */
  classes: number;
}

export interface TrainSummary {
  diverged: boolean;
  batches: number;
  samples: number;
  /** mean over the call's samples */
  loss: number;
  /** each batch's mean loss, in order */
  batchLosses: Float32Array;
  accuracy: number;
  seconds: number;
  samplesPerSecond: number;
  /** the last batch's learning rate, after the schedule */
  learningRate: number;
  /** batches trained on this model in all */
  step: number;
  epoch: number;
  batchInEpoch: number;
  batchesPerEpoch: number;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  count: number;
  /** the model's output count */
  classes: number;
  /** classes × classes, row = true label, column = predicted label */
  confusion: number[];
}

export interface Prediction {
  /** count × outputs probabilities */
  scores: Float32Array;
}

export interface FirstLayerWeights {
  units: number;
  inputs: number;
  /** units × inputs */
  weights: Float32Array;
}

export interface ModelInfo extends Required<TrainOptions> {
  sizes: number[];
  output: OutputLoss;
  scaling: Scaling;
  /** the image shape the model was made for, [rows, cols] ([1, features] for 1-D data) */
  inputShape: [number, number];
  classes: number;
  parameters: number;
  /** batches trained since the model was created (the schedule's clock; kept in the model file) */
  step: number;
  /** the loaded training set's [rows, cols] and classes ([0, 0] and 0 when none) */
  trainShape: [number, number];
  trainClasses: number;
  trainCount: number;
  testCount: number;
}

export interface RawEngine {
  loadData(split: Split, images: Uint8Array, labels: Uint8Array, limit: number): DataInfo & Failure;
  /** the error message, empty on success */
  createModel(config: ModelConfig): string;
  setOptions(options: TrainOptions): string;
  train(batches: number): TrainSummary & Failure;
  evaluate(split: Split, limit: number): Evaluation & Failure;
  predict(pixels: Uint8Array): Prediction & Failure;
  firstLayerWeights(units: number): FirstLayerWeights & Failure;
  saveModel(options?: { optimizerState?: boolean }): Uint8Array;
  /** the error message, empty on success */
  loadModel(bytes: Uint8Array): string;
  info(): ModelInfo;
  delete(): void;
}

export interface ScratchnetModule {
  Engine: new () => RawEngine;
  /** 'wasm-simd128' or 'scalar' */
  backend(): string;
  /** current size of the module's linear memory */
  memoryBytes(): number;
  /** the engine's limits and defaults (web/src/engine/defaults.d.ts: Limits, Defaults; floats as float32) */
  limits(): import('../engine/defaults.js').Limits;
  defaults(): import('../engine/defaults.js').Defaults;
}

export interface ModuleOptions {
  locateFile?: (path: string, prefix: string) => string;
  wasmBinary?: ArrayBuffer | Uint8Array;
}

export type ModuleFactory = (options?: ModuleOptions) => Promise<ScratchnetModule>;
