// Types of the raw module built from cpp/bindings/scratchnet_bindings.cpp, a plain C boundary (written by hand: it
// must follow the C++), and of the results engine.js decodes from it. Use web/src/engine/engine.js rather than
// the module directly: it marshals arguments through wasm memory, turns errors into exceptions, and its results
// (the types below) carry no error.

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
  /** softened targets, 0 to below 1: (1 − ε)·one-hot + ε/2 for sigmoid outputs, + ε/classes for softmax; the
   * reported losses stay those against the labels */
  labelSmoothing?: number;
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
  /** whether the first layer takes its inputs around the training set's common pixel values (a speed-up for
   * centred or inverted images, which changes results only by float rounding) */
  inputBackground: boolean;
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

/** An engine made by _scratchnet_new, and a pointer into wasm memory. */
type EngineHandle = number;
type Pointer = number;

/**
 * The module: its C functions (each `_scratchnet_*` but new, delete, threads_working and memory_bytes returns a
 * pointer to a Reply, which engine.js decodes), malloc and free for the arguments, and the memory.
 */
export interface ScratchnetModule {
  _scratchnet_new(): EngineHandle;
  _scratchnet_delete(engine: EngineHandle): void;
  _scratchnet_stage_data(engine: EngineHandle, split: Pointer, imagesHead: Pointer, imagesLength: number, labelsHead: Pointer,
    labelsLength: number, limit: number): Pointer;
  _scratchnet_load_data(engine: EngineHandle): Pointer;
  _scratchnet_create_model(engine: EngineHandle, sizes: Pointer, sizeCount: number, output: Pointer, scaling: Pointer, seed: number,
    seedGiven: number): Pointer;
  _scratchnet_set_options(engine: EngineHandle, values: Pointer, givenMask: number, optimizer: Pointer, schedule: Pointer): Pointer;
  _scratchnet_train(engine: EngineHandle, batches: number): Pointer;
  _scratchnet_evaluate(engine: EngineHandle, split: Pointer, limit: number): Pointer;
  _scratchnet_predict(engine: EngineHandle, pixels: Pointer, length: number): Pointer;
  _scratchnet_first_layer_weights(engine: EngineHandle, units: number): Pointer;
  _scratchnet_save_model(engine: EngineHandle, withState: number): Pointer;
  _scratchnet_load_model(engine: EngineHandle, bytes: Pointer, length: number): Pointer;
  _scratchnet_info(engine: EngineHandle): Pointer;
  _scratchnet_limits(): Pointer;
  _scratchnet_defaults(): Pointer;
  _scratchnet_backend(): Pointer;
  _scratchnet_threads_working(): number;
  /** current size of the module's linear memory */
  _scratchnet_memory_bytes(): number;
  _malloc(size: number): Pointer;
  _free(pointer: Pointer): void;
  /** renewed by the glue when memory grows on the calling thread */
  HEAPU8: Uint8Array;
  /** pthread builds: the shared memory, whose buffer is current whichever thread grew it */
  wasmMemory?: WebAssembly.Memory;
  /** Node's pthread build (node_threads_post.js): lets the process exit while the pool's workers idle */
  unrefThreads?(): void;
}

export interface ModuleOptions {
  locateFile?: (path: string, prefix: string) => string;
  wasmBinary?: ArrayBuffer | Uint8Array;
}

export type ModuleFactory = (options?: ModuleOptions) => Promise<ScratchnetModule>;
