// Types of the raw Embind module built from cpp/bindings/scratchnet_bindings.cpp (Emscripten 3.1.6 has no
// --emit-tsd, so this is written by hand and must follow the C++). Use web/src/engine/engine.js rather than
// this directly: it turns `error` fields into exceptions.

export type Split = 'train' | 'test';
export type OutputLoss = 'sigmoid-l2' | 'softmax-xent';

export interface ModelConfig {
  /** input, hidden..., output sizes; default [784, 2048, 10] */
  sizes?: number[];
  /** default 'sigmoid-l2' */
  output?: OutputLoss;
  /** whole number 0..2^32-1; default 1 */
  seed?: number;
}

export interface TrainOptions {
  batchSize?: number;
  learningRate?: number;
  momentum?: number;
}

export interface Failure {
  /** empty on success */
  error: string;
}

export interface DataInfo extends Failure {
  count: number;
  rows: number;
  cols: number;
}

export interface TrainSummary extends Failure {
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
  epoch: number;
  batchInEpoch: number;
  batchesPerEpoch: number;
}

export interface Evaluation extends Failure {
  loss: number;
  accuracy: number;
  count: number;
  /** 10×10, row = true label, column = predicted label */
  confusion: number[];
}

export interface Prediction extends Failure {
  /** count × outputs probabilities */
  scores: Float32Array;
}

export interface FirstLayerWeights extends Failure {
  units: number;
  inputs: number;
  /** units × inputs */
  weights: Float32Array;
}

export interface ModelInfo {
  sizes: number[];
  output: OutputLoss;
  parameters: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  trainCount: number;
  testCount: number;
}

export interface RawEngine {
  loadData(split: Split, images: Uint8Array, labels: Uint8Array, limit: number): DataInfo;
  createModel(config: ModelConfig): string;
  setOptions(options: TrainOptions): string;
  train(batches: number): TrainSummary;
  evaluate(split: Split, limit: number): Evaluation;
  predict(pixels: Uint8Array): Prediction;
  firstLayerWeights(units: number): FirstLayerWeights;
  saveModel(): Uint8Array;
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
}

export interface ModuleOptions {
  locateFile?: (path: string, prefix: string) => string;
  wasmBinary?: ArrayBuffer | Uint8Array;
}

export type ModuleFactory = (options?: ModuleOptions) => Promise<ScratchnetModule>;
