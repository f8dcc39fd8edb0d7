// What the training worker and the page say to each other. The page never sees raw messages: it calls
// the worker's methods through Comlink (see app/trainer-client.ts) and receives these events.
import type { OutputLoss } from '../wasm/scratchnet-module';

/** Everything the settings form chooses. */
export interface TrainingSettings {
  /** hidden layer sizes, e.g. [2048] or [512, 256] */
  hidden: number[];
  learningRate: number;
  momentum: number;
  batchSize: number;
  epochs: number;
  output: OutputLoss;
  seed: number;
  /** train on the first N training images (60,000 or more: all of them) */
  trainLimit: number;
}

export interface DataProgress {
  /** which file: e.g. 'train-images-idx3-ubyte.gz' */
  file: string;
  loadedBytes: number;
  /** 0 when the server did not say */
  totalBytes: number;
  /** true when the file came from the browser's cache */
  cached: boolean;
}

/**
 * Which build to run. 'auto' and 'threads': SIMD on two threads where the page is cross-origin isolated
 * (SharedArrayBuffer) and the machine has more than one core, else as 'simd'. 'simd': SIMD on one thread
 * where the browser has wasm SIMD, else scalar. 'scalar': the plain build. Both SIMD builds learn the same
 * weights to the bit.
 */
export type EngineChoice = 'auto' | 'simd' | 'scalar' | 'threads';

export interface DataInfo {
  trainCount: number;
  testCount: number;
  /** the engine that runs: 'wasm-simd128' or 'scalar' */
  backend: string;
  /** threads its kernels use: 2 for the pthread build, else 1 */
  threads: number;
}

/** A sample of test digits with the model's current answers. */
export interface DigitPredictions {
  /** count × 784 pixels, 0..255 */
  pixels: Uint8Array;
  labels: Uint8Array;
  predicted: Uint8Array;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  /** 10×10, row = true label, column = predicted */
  confusion: number[];
}

export interface HiddenWeights {
  /** units × inputs weights of the first layer's first units */
  weights: Float32Array;
  units: number;
  inputs: number;
}

export type TrainingState = 'idle' | 'loading' | 'ready' | 'training' | 'paused' | 'done' | 'diverged' | 'error';

export type TrainingEvent =
  | { type: 'state'; state: TrainingState; message?: string }
  | {
      type: 'batches';
      /** loss of each batch run since the last event */
      losses: number[];
      /** batches done in the whole run so far */
      batchesDone: number;
      epochs: number;
      batchesPerEpoch: number;
      samplesPerSecond: number;
    }
  | { type: 'epoch'; report: EpochReport }
  | { type: 'predictions'; predictions: DigitPredictions }
  | { type: 'weights'; weights: HiddenWeights };

/** The worker's API, as the page sees it through Comlink (every method returns a Promise there). */
export interface TrainerApi {
  /** Loads the engine the choice names (EngineChoice), then fetches (or reads from cache) and checks MNIST. */
  init(options: { engine: EngineChoice; dataUrl: string }, onProgress: (progress: DataProgress) => void): Promise<DataInfo>;
  /** Receives every TrainingEvent. */
  subscribe(listener: (event: TrainingEvent) => void): void;
  /** A new model with these settings (throws with a message on a bad setting). */
  configure(settings: TrainingSettings): void;
  /** Trains until the settings' epochs are done, a pause, or divergence. */
  start(): void;
  pause(): void;
  resume(): void;
  /** One batch, while paused or before starting. */
  step(): void;
  /** Back to freshly initialised weights with the current settings. */
  reset(): void;
  /** Class scores for one 28×28 image (784 values 0..255). */
  predict(pixels: Uint8Array): Float32Array;
  saveModel(): Uint8Array;
  /** Replaces the model; throws with a message on a bad file and keeps the current model. */
  loadModel(bytes: Uint8Array): { sizes: number[]; output: OutputLoss };
}
