// What the training worker and the page say to each other. The page never sees raw messages: it calls
// the worker's methods through Comlink (see app/trainer-client.ts) and receives these events.
import type { Suggestions } from '../app/settings';
import type { IdxRole } from '../data/idx-files';
import type { Optimizer, OutputLoss, Scaling, ScalingChoice, Schedule } from '../wasm/scratchnet-module';

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
  /** train on the first N training images (0, or at least the set's count: all of them) */
  trainLimit: number;
  optimizer: Optimizer;
  weightDecay: number;
  /** fraction of each hidden layer's units dropped while training */
  dropout: number;
  /** softened targets: (1 − ε)·one-hot + ε/2 for sigmoid outputs, + ε/classes for softmax */
  labelSmoothing: number;
  schedule: Schedule;
  /** epochs of linear warm-up (any schedule); may be a fraction */
  warmupEpochs: number;
  /** the step schedule multiplies the rate by stepGamma every stepEpochs epochs */
  stepEpochs: number;
  stepGamma: number;
  /** how pixels become inputs (fixed when a model is created) */
  scaling: ScalingChoice;
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

export interface EngineInfo {
  /** the engine that runs: 'wasm-simd128' or 'scalar' */
  backend: string;
  /** threads its kernels use: 2 for the pthread build, else 1 */
  threads: number;
}

/** The data set the engine holds, as it read it. */
export interface DataInfo {
  trainCount: number;
  testCount: number;
  /** image height and width; a 1-D set (N × features) has rows 1 */
  rows: number;
  cols: number;
  /** the largest label + 1 */
  classes: number;
}

/** One of the reader's own files, as picked or dropped (gzipped or not). */
export interface OwnFile {
  name: string;
  bytes: Uint8Array;
}

/** Where the reader's own files stand: which role each has, what is wrong, and the set once the engine took it. */
export interface OwnFilesStatus {
  /** role → the file's name, for the roles filled so far */
  files: Partial<Record<IdxRole, string>>;
  /** one sentence each: a file that could not be placed or read, or the engine's refusal naming the file */
  problems: string[];
  /** set once all four are there and the engine accepted them */
  data: DataInfo | null;
  /** when the accepted files were kept in this browser (ISO time) */
  savedAt?: string;
}

/** A sample of test images with the model's current answers. */
export interface DigitPredictions {
  /** count × rows × cols pixels, 0..255 */
  pixels: Uint8Array;
  rows: number;
  cols: number;
  labels: Uint8Array;
  predicted: Uint8Array;
}

/** The test set's mistakes: how many of how many, and the images the model gave the highest score. */
export interface Mistakes {
  wrong: number;
  tested: number;
  shown: DigitPredictions;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  /** classes × classes, row = true label, column = predicted */
  confusion: number[];
}

export interface HiddenWeights {
  /** units × inputs weights of the first layer's first units */
  weights: Float32Array;
  units: number;
  inputs: number;
  /** the images' shape, which the inputs come in (rows × cols = inputs) */
  rows: number;
  cols: number;
}

/** What a loaded model is, for the form to show. */
export interface ModelSummary {
  sizes: number[];
  output: OutputLoss;
  scaling: Scaling;
  optimizer: Optimizer;
  /** batches it has been trained for */
  step: number;
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
  /**
   * Holds the Web Lock `name` while the worker lives (the page waits for it to learn that the worker died);
   * resolves once it is held, or false where the browser has no Web Locks.
   */
  lifeline(name: string): Promise<boolean>;
  /** Loads the engine the choice names (EngineChoice). */
  init(options: { engine: EngineChoice }): Promise<EngineInfo>;
  /** The engine's suggested learning rates and momentum for each output, loss and optimizer. */
  suggestedSettings(): Suggestions;
  /** Reads and checks a served set's four files, downloaded by the page (data/idx-download.ts); `folderUrl` and `title` name it in messages. */
  loadServedData(files: Record<IdxRole, File>, folderUrl: string, title: string): Promise<DataInfo>;
  /** Adds the reader's files (any of the four, more later); loads and keeps the set once all four are there. */
  addOwnFiles(files: OwnFile[]): Promise<OwnFilesStatus>;
  /** The own files kept in this browser, loaded; null when none are kept. */
  loadStoredOwnFiles(): Promise<OwnFilesStatus | null>;
  /** Drops the own files, kept and pending. */
  forgetOwnFiles(): Promise<void>;
  /** Receives every TrainingEvent. */
  subscribe(listener: (event: TrainingEvent) => void): void;
  /**
   * Prepares a run with these settings: a new model, or with `keepModel` the current one (a loaded model
   * trained further; its layer sizes, output and scaling stay). Throws with a message on a bad setting.
   */
  configure(settings: TrainingSettings, options?: { keepModel?: boolean }): void;
  /** Trains until the settings' epochs are done, a pause, or divergence. */
  start(): void;
  pause(): void;
  resume(): void;
  /** One batch, while paused or before starting. */
  step(): void;
  /** Class scores for one image (rows × cols values 0..255). */
  predict(pixels: Uint8Array): Float32Array;
  /** The test images the model gets wrong, over the whole test set: how many, and the `count` it scored highest. */
  mistakes(count: number): Promise<Mistakes>;
  saveModel(): Uint8Array;
  /** The model as an ONNX file (pixels 0..255 in, class scores out), as `npm run export` writes it. */
  exportOnnx(): Promise<Uint8Array>;
  /** Replaces the model; throws with a message on a bad file (or one that does not fit the data) and keeps the current model. */
  loadModel(bytes: Uint8Array): ModelSummary;
}
