/// <reference lib="webworker" />
// The training worker: owns the wasm engine and the data, runs the training loop, and tells the page
// what happened through events. Training runs here so the page's main thread only renders.
import * as Comlink from 'comlink';
import { simd, threads } from 'wasm-feature-detect';
import { ADAM_LEARNING_RATE, EngineError, defaultOptionsFor, loadEngine, type Engine, type Flavor } from '../engine/engine.js';
import { OUTPUTS, type Suggestions } from '../app/settings';
import { idxBytes } from '../data/gunzip';
import { IDX_ROLES, assignIdxFiles, nameFilesInRefusal, readIdxHeader, type IdxRole } from '../data/idx-files';
import { forgetStoredOwnFiles, keepOwnFiles, storedOwnFiles } from '../data/own-files-store';
import { errorMessage } from '../lib/error-message';
import { checkFile, fileName } from './file-check';
import simdWasmUrl from '../wasm/scratchnet-simd.wasm?url';
import scalarWasmUrl from '../wasm/scratchnet-scalar.wasm?url';
import threadsWasmUrl from '../wasm/scratchnet-simd-threads.wasm?url';
import { topClass } from '../lib/top-class';
import type {
  DataInfo, DigitPredictions, EngineChoice, EngineInfo, Mistakes, ModelSummary, OwnFile, OwnFilesStatus, TrainerApi,
  TrainingEvent, TrainingSettings, TrainingState,
} from './protocol';
import { BatchReports } from './batch-reports';
import { trainOptions } from './train-options';

const CHUNK_MILLISECONDS = 40; // work between yields: short enough that pause/step answer at once
const REPORT_MILLISECONDS = 100; // 'batches' events at most this often (batch-reports.ts)
// Batches per engine.train() call: many, so the engine's loop (and its deferred steps, DeferredSteps in
// kernels.h) runs uninterrupted: a call's last step settles every deferred row, which with the call's own cost
// comes to 2-3% of the speed at 16 batches a call (performance.md). 16
// batches of the default network are about 60 ms on one thread of a 2-core Xeon: a pause waits at most that long.
// Set from the network's size, never from a clock or the thread count: a step that ends a call rounds differently,
// so call boundaries must not depend on either for a seed to give the same run every time.
const WORK_PER_CALL = 1.67e9; // batch size × parameters: 16 batches of the default network
const MAX_BATCHES_PER_CALL = 16;
const SAMPLE_IMAGES = 40; // test images shown with their predictions
const SHOWN_UNITS = 16; // hidden units drawn as weight tiles
const REFRESH_MILLISECONDS = 1000; // predictions and weights, while training

/**
 * Resolves after the events already queued (Comlink's calls) have run. Not setTimeout(0): chained timers are
 * clamped to 4 ms, which left the engine idle for 4 ms after every 40 ms stretch of training.
 */
const yieldChannel = new MessageChannel();
const yieldWaiters: (() => void)[] = [];
yieldChannel.port1.onmessage = () => yieldWaiters.shift()?.();
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    yieldWaiters.push(resolve);
    yieldChannel.port2.postMessage(null);
  });
}

/** The build to load: threads where they can run (SharedArrayBuffer: only in a cross-origin-isolated page). */
async function chooseFlavor(choice: EngineChoice): Promise<Flavor> {
  if (choice === 'scalar' || !(await simd())) return 'scalar';
  if (choice !== 'simd' && self.crossOriginIsolated && navigator.hardwareConcurrency > 1 && (await threads())) return 'simd-threads';
  return 'simd';
}

/** Each build's wasm file (the one its glue fetches), to name it when the engine does not load. */
const WASM_FILES: Record<Flavor, { name: string; url: string }> = {
  simd: { name: 'scratchnet-simd.wasm', url: simdWasmUrl },
  scalar: { name: 'scratchnet-scalar.wasm', url: scalarWasmUrl },
  'simd-threads': { name: 'scratchnet-simd-threads.wasm', url: threadsWasmUrl },
};

/**
 * Why the engine did not load, naming the file at fault: a glue module that did not load (its URL is in the
 * browser's message), or a wasm file that is missing, is not wasm, or does not compile. Else the error's own text.
 */
async function explainEngineFailure(flavor: Flavor, error: unknown): Promise<string> {
  const message = errorMessage(error);
  const module = /dynamically imported module:?\s*(\S+)/i.exec(message)?.[1];
  const problem = module
    ? await checkFile(module, { name: fileName(module) })
    : await checkFile(new URL(WASM_FILES[flavor].url, self.location.href).href, { name: WASM_FILES[flavor].name, wasm: true });
  return problem ?? message;
}

/** A data set as four uncompressed IDX files. */
type IdxBytes = Record<IdxRole, Uint8Array>;

/** A loaded data set: its files (for the sample images) and what the engine read. */
export interface LoadedData {
  bytes: IdxBytes;
  info: DataInfo;
}

/** One of the reader's files, with its uncompressed bytes. */
interface PendingFile {
  file: OwnFile;
  idx: Uint8Array;
}

class TrainingWorker implements TrainerApi {
  #engine: Engine | null = null;
  #data: LoadedData | null = null;
  #pendingOwn: Partial<Record<IdxRole, PendingFile>> = {};
  /** counts data loads: one that a newer load overtook while it awaited must not hand its set to the engine */
  #dataLoads = 0;
  #settings: TrainingSettings | null = null;
  #listener: ((event: TrainingEvent) => void) | null = null;
  #state: TrainingState = 'idle';
  #running = false;
  #batchesDone = 0;
  #epochsDone = 0;
  #epochLossSum = 0;
  #epochCorrect = 0;
  #epochSamples = 0;
  #lastRefresh = 0;
  #trainLimit = 0;
  #batchesPerCall = 1; // see WORK_PER_CALL
  #toEpochEnd = 1; // batches left in the epoch, as the last call reported (1 until one has)
  #reports = new BatchReports(REPORT_MILLISECONDS);

  /**
   * Holds a Web Lock named `name` for as long as this worker lives, so the page, waiting for the same lock, learns
   * the moment the worker is gone (Web Locks release a dead context's locks). False where there are none (a page
   * that is not a secure context).
   */
  async lifeline(name: string): Promise<boolean> {
    const locks = (self.navigator as Navigator & { locks?: LockManager }).locks;
    if (!locks) return false;
    await new Promise<void>((held) => {
      void locks.request(name, () => {
        held();
        return new Promise<void>(() => undefined); // never released while the worker runs
      });
    });
    return true;
  }

  async init(options: { engine: EngineChoice }): Promise<EngineInfo> {
    if (!this.#engine) {
      const flavor = await chooseFlavor(options.engine);
      try {
        this.#engine = await loadEngine({ flavor });
      } catch (error) {
        this.#setState('error');
        throw new Error(`Could not load the engine: ${await explainEngineFailure(flavor, error)}`);
      }
    }
    return { backend: this.#engine.backend, threads: this.#engine.flavor === 'simd-threads' ? 2 : 1 };
  }

  suggestedSettings(): Suggestions {
    const byOutput = Object.fromEntries(OUTPUTS.map((output) => {
      const { learningRate, momentum, labelSmoothing } = defaultOptionsFor(output);
      return [output, { learningRate, momentum, labelSmoothing }];
    })) as Suggestions['byOutput'];
    return { byOutput, adamLearningRate: ADAM_LEARNING_RATE };
  }

  async loadServedData(files: Record<IdxRole, File>, folderUrl: string, title: string): Promise<DataInfo> {
    const load = this.#stopForNewData();
    try {
      const decoded = await Promise.all(IDX_ROLES.map(async (role) => {
        const file = files[role];
        try {
          return [role, await idxBytes(new Uint8Array(await file.arrayBuffer()))] as const;
        } catch (error) {
          throw new Error(`${file.name}: ${errorMessage(error)}`);
        }
      }));
      const bytes = Object.fromEntries(decoded) as IdxBytes;
      this.#checkCurrent(load);
      let info: DataInfo;
      try {
        info = this.#useData(bytes);
      } catch (error) {
        // The engine says which split and file kind it refused; say where the files came from too. A host
        // that answers a missing file with its index page (SPA fallback) sends HTML with status 200.
        const html = Object.values(bytes).some((file) => file[0] === 0x3c); // '<'
        throw new Error(`the files at ${folderUrl} are not ${title} (${errorMessage(error)})${html ? '; the server sent a web page instead: is the data folder there?' : ''}`);
      }
      this.#setState('ready');
      return info;
    } catch (error) {
      if (load !== this.#dataLoads) throw error; // overtaken: the newer load owns the state
      this.#setState('error', errorMessage(error));
      throw new Error(errorMessage(error));
    }
  }

  async addOwnFiles(files: OwnFile[]): Promise<OwnFilesStatus> {
    const load = this.#stopForNewData();
    const problems: string[] = [];
    const readable: PendingFile[] = [];
    for (const file of files) {
      try {
        readable.push({ file, idx: await idxBytes(file.bytes) });
      } catch (error) {
        problems.push(`${file.name}: ${errorMessage(error)}`);
      }
    }
    const assignment = assignIdxFiles(readable.map(({ file, idx }) => ({ name: file.name, header: readIdxHeader(idx) })));
    problems.push(...assignment.problems);
    this.#checkCurrent(load);
    for (const [role, index] of Object.entries(assignment.roles) as [IdxRole, number][]) this.#pendingOwn[role] = readable[index];
    return this.#tryOwnFiles(problems);
  }

  async loadStoredOwnFiles(): Promise<OwnFilesStatus | null> {
    const load = this.#stopForNewData();
    const stored = await storedOwnFiles();
    this.#checkCurrent(load);
    if (!stored) {
      this.#setState('idle');
      return null;
    }
    this.#pendingOwn = {};
    const problems: string[] = [];
    for (const role of IDX_ROLES) {
      const file = stored.files[role];
      try {
        this.#pendingOwn[role] = { file, idx: await idxBytes(file.bytes) };
      } catch (error) {
        problems.push(`${file.name}: ${errorMessage(error)}`);
      }
    }
    this.#checkCurrent(load);
    return this.#tryOwnFiles(problems, stored.savedAt);
  }

  async forgetOwnFiles(): Promise<void> {
    this.#pendingOwn = {};
    await forgetStoredOwnFiles();
  }

  /**
   * Loads the pending own files once all four are there and none of this pick had a problem (a file that could
   * not be read may be meant to replace one that is pending), and keeps them when the engine takes them.
   */
  async #tryOwnFiles(problems: string[], savedAt?: string): Promise<OwnFilesStatus> {
    const pending = this.#pendingOwn;
    const files = Object.fromEntries(Object.entries(pending).map(([role, entry]) => [role, entry.file.name])) as OwnFilesStatus['files'];
    const status: OwnFilesStatus = { files, problems, data: null };
    if (problems.length || !IDX_ROLES.every((role) => pending[role])) {
      this.#setState('idle');
      return status;
    }
    const complete = pending as Record<IdxRole, PendingFile>;
    try {
      status.data = this.#useData(Object.fromEntries(IDX_ROLES.map((role) => [role, complete[role].idx])) as IdxBytes);
    } catch (error) {
      problems.push(nameFilesInRefusal(errorMessage(error), files as Record<IdxRole, string>));
      this.#setState('idle');
      return status;
    }
    if (savedAt) status.savedAt = savedAt;
    else {
      const load = this.#dataLoads;
      const kept = await keepOwnFiles(Object.fromEntries(IDX_ROLES.map((role) => [role, complete[role].file])) as Record<IdxRole, OwnFile>);
      if (kept) status.savedAt = kept.savedAt;
      this.#checkCurrent(load);
    }
    this.#setState('ready');
    return status;
  }

  /**
   * Training stops and the model goes: a new data set needs a new (or a fitting loaded) model. Returns the
   * load's number, for #checkCurrent.
   */
  #stopForNewData(): number {
    this.#running = false;
    this.#settings = null;
    this.#data = null;
    this.#setState('loading');
    return ++this.#dataLoads;
  }

  /** Throws when another data load started since `load` did: the page has moved on to that one. */
  #checkCurrent(load: number): void {
    if (load !== this.#dataLoads) throw new Error('another data set was chosen meanwhile');
  }

  /**
   * Hands a set to the engine, training split first (the engine checks the test split against it); throws the
   * engine's message when it refuses a file.
   */
  #useData(bytes: IdxBytes): DataInfo {
    const engine = this.#requireEngine();
    const train = engine.loadData('train', bytes.trainImages, bytes.trainLabels);
    this.#trainLimit = 0;
    const test = engine.loadData('test', bytes.testImages, bytes.testLabels);
    const info: DataInfo = { trainCount: train.count, testCount: test.count, rows: train.rows, cols: train.cols, classes: train.classes };
    this.#data = { bytes, info };
    this.#samples = null;
    return info;
  }

  subscribe(listener: (event: TrainingEvent) => void): void {
    this.#listener = listener;
  }

  configure(settings: TrainingSettings, { keepModel = false } = {}): void {
    const engine = this.#requireEngine();
    const data = this.#requireData();
    this.#running = false;
    // Loading the training split also restarts the engine's epochs, so a continued run counts from its start.
    this.#loadTrain(data, settings.trainLimit, keepModel);
    if (!keepModel) {
      engine.createModel({ hidden: settings.hidden, output: settings.output, seed: settings.seed, scaling: settings.scaling });
    }
    const { trainCount, step } = engine.info();
    engine.setOptions(trainOptions(settings, { trainCount, step }));
    this.#settings = settings;
    this.#resetRun();
    this.#setState('ready');
    this.#refreshViews(true);
  }

  start(): void {
    if (!this.#settings) throw new Error('configure the network first');
    if (this.#running) return;
    this.#running = true;
    this.#setState('training');
    void this.#loop();
  }

  pause(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#setState('paused');
  }

  resume(): void {
    if (this.#state === 'paused' || this.#state === 'ready') this.start();
  }

  step(): void {
    if (this.#running) return;
    if (!this.#settings) throw new Error('configure the network first');
    this.#trainChunk(1);
    this.#refreshViews(true);
    if (this.#state !== 'diverged' && this.#state !== 'done') this.#setState('paused');
  }

  predict(pixels: Uint8Array): Float32Array {
    const { rows, cols } = this.#requireData().info;
    if (pixels.length !== rows * cols) throw new Error(`an image of this set has ${rows * cols} pixels (${rows}×${cols}), not ${pixels.length}`);
    return this.#requireEngine().predict(pixels);
  }

  async mistakes(count: number): Promise<Mistakes> {
    const { findMistakes } = await import('./find-mistakes'); // the page's gallery only: the embed never loads it
    return findMistakes(this.#requireEngine(), this.#requireData(), count);
  }

  saveModel(): Uint8Array {
    // with the optimizer's state, so that a model trained on after loading goes on as if it had never stopped
    const bytes = this.#requireEngine().saveModel({ optimizerState: true });
    return Comlink.transfer(bytes, [bytes.buffer]);
  }

  /** The model as ONNX (the encoder loads on first use; the embed never asks). */
  async exportOnnx(): Promise<Uint8Array> {
    const bytes = await this.#requireEngine().exportOnnx();
    return Comlink.transfer(bytes, [bytes.buffer]);
  }

  loadModel(bytes: Uint8Array): ModelSummary {
    const engine = this.#requireEngine();
    this.#requireData();
    const wasRunning = this.#running;
    this.#running = false;
    try {
      const info = engine.loadModel(bytes);
      this.#settings = null; // the page configures the next run on this model (configure with keepModel)
      this.#resetRun();
      this.#setState('ready');
      const evaluation = engine.evaluate('test');
      this.#emit({
        type: 'epoch',
        report: { epoch: 0, epochs: 0, trainLoss: NaN, trainAccuracy: NaN, testLoss: evaluation.loss, testAccuracy: evaluation.accuracy, confusion: evaluation.confusion },
      });
      this.#refreshViews(true);
      return { sizes: info.sizes, output: info.output, scaling: info.scaling, optimizer: info.optimizer, step: info.step };
    } catch (error) {
      if (wasRunning) this.start();
      throw new Error(errorMessage(error));
    }
  }

  /**
   * Loads the first `limit` training images (0: all of them), unless they are what is loaded; `always`
   * loads them again anyway, which restarts the engine's epochs.
   */
  #loadTrain(data: LoadedData, limit: number, always = false): void {
    const kept = limit >= data.info.trainCount ? 0 : limit;
    if (kept === this.#trainLimit && !always) return;
    this.#requireEngine().loadData('train', data.bytes.trainImages, data.bytes.trainLabels, { limit: kept });
    this.#trainLimit = kept;
  }

  #requireData(): LoadedData {
    if (!this.#data) throw new Error('no data set is loaded yet');
    return this.#data;
  }

  /** A new run, of a new or loaded model: the counts restart, and the engine calls are planned for its size. */
  #resetRun(): void {
    this.#reportBatches(); // the last run's
    const { parameters, batchSize } = this.#requireEngine().info();
    this.#batchesPerCall = Math.max(1, Math.min(MAX_BATCHES_PER_CALL, Math.round(WORK_PER_CALL / (parameters * batchSize))));
    this.#batchesDone = 0;
    this.#epochsDone = 0;
    this.#toEpochEnd = 1;
    this.#resetEpochTotals();
  }

  #requireEngine(): Engine {
    if (!this.#engine) throw new Error('the engine is not loaded yet');
    return this.#engine;
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      this.#trainChunk(Infinity);
      this.#refreshViews(false);
      await yieldToEvents(); // lets pause, step and predict calls in
    }
  }

  /** Trains up to `maxBatches` batches for about CHUNK_MILLISECONDS, stopping at an epoch's end. */
  #trainChunk(maxBatches: number): void {
    const engine = this.#requireEngine();
    const settings = this.#settings!;
    const losses: number[] = [];
    const start = performance.now();
    let samples = 0;
    let summary;
    try {
      do {
        const batches = Math.max(1, Math.min(this.#batchesPerCall, maxBatches - losses.length, this.#toEpochEnd));
        summary = engine.train(batches);
        losses.push(...summary.batchLosses);
        samples += summary.samples;
        this.#epochLossSum += summary.loss * summary.samples;
        this.#epochCorrect += summary.accuracy * summary.samples;
        this.#epochSamples += summary.samples;
        this.#toEpochEnd = summary.batchesPerEpoch - summary.batchInEpoch;
      } while (losses.length < maxBatches && summary.epoch === this.#epochsDone && performance.now() - start < CHUNK_MILLISECONDS);
    } catch (error) {
      this.#running = false;
      if (summary) this.#gatherBatches(losses, samples, start, summary.batchesPerEpoch);
      const diverged = error instanceof EngineError && error.diverged;
      this.#setState(diverged ? 'diverged' : 'error', errorMessage(error)); // reports the batches first
      return;
    }
    this.#gatherBatches(losses, samples, start, summary.batchesPerEpoch);
    const now = performance.now();
    this.#reportBatches(maxBatches === Infinity ? this.#reports.takeIfDue(now) : this.#reports.take(now));
    if (summary.epoch > this.#epochsDone) this.#finishEpoch(summary.epoch, settings);
  }

  /** Counts a chunk's batches into the run and adds them to the next report. */
  #gatherBatches(losses: number[], samples: number, start: number, batchesPerEpoch: number): void {
    this.#batchesDone += losses.length;
    const seconds = (performance.now() - start) / 1000;
    this.#reports.add({ losses, samples, seconds, batchesDone: this.#batchesDone, epochs: this.#settings?.epochs ?? 0, batchesPerEpoch });
  }

  /** Sends the batches trained since the last event, if any: before any other event, so that events keep their order. */
  #reportBatches(event = this.#reports.take(performance.now())): void {
    if (event) void this.#listener?.(event);
  }

  #finishEpoch(epoch: number, settings: TrainingSettings): void {
    const engine = this.#requireEngine();
    this.#epochsDone = epoch;
    const evaluation = engine.evaluate('test');
    this.#emit({
      type: 'epoch',
      report: {
        epoch, epochs: settings.epochs,
        trainLoss: this.#epochLossSum / this.#epochSamples, trainAccuracy: this.#epochCorrect / this.#epochSamples,
        testLoss: evaluation.loss, testAccuracy: evaluation.accuracy, confusion: evaluation.confusion,
      },
    });
    this.#resetEpochTotals();
    this.#refreshViews(true);
    if (epoch >= settings.epochs) {
      this.#running = false;
      this.#setState('done');
    }
  }

  #resetEpochTotals(): void {
    this.#epochLossSum = 0;
    this.#epochCorrect = 0;
    this.#epochSamples = 0;
  }

  /** Sends the sample images' predictions and the first layer's weight tiles. */
  #refreshViews(always: boolean): void {
    if (!this.#data || !this.#engine) return;
    if (!always && performance.now() - this.#lastRefresh < REFRESH_MILLISECONDS) return;
    this.#lastRefresh = performance.now();
    const { rows, cols } = this.#data.info;
    const { pixels, labels } = this.#sampleImages(this.#data);
    const count = labels.length;
    const scores = this.#engine.predict(pixels);
    const classes = scores.length / count;
    const predicted = new Uint8Array(count);
    for (let i = 0; i < count; i++) predicted[i] = Math.max(0, topClass(scores.subarray(i * classes, (i + 1) * classes)));
    const predictions: DigitPredictions = { pixels, rows, cols, labels, predicted };
    this.#emit({ type: 'predictions', predictions });
    const { sizes } = this.#engine.info();
    const units = Math.min(SHOWN_UNITS, sizes[1] ?? 0);
    if (sizes.length > 2 && units > 0) {
      const { weights, inputs } = this.#engine.firstLayerWeights(units);
      this.#emit({ type: 'weights', weights: { weights, units, inputs, rows, cols } });
    }
  }

  /** The first SAMPLE_IMAGES test images and labels, cut from the files once per data set. */
  #samples: { pixels: Uint8Array; labels: Uint8Array } | null = null;
  #sampleImages({ bytes, info }: LoadedData): { pixels: Uint8Array; labels: Uint8Array } {
    if (this.#samples) return this.#samples;
    const count = Math.min(SAMPLE_IMAGES, info.testCount);
    const pixelCount = info.rows * info.cols;
    const imagesHeader = 4 + 4 * bytes.testImages[3]; // magic, then one 32-bit size per dimension
    const labelsHeader = 8;
    this.#samples = {
      pixels: bytes.testImages.slice(imagesHeader, imagesHeader + count * pixelCount),
      labels: bytes.testLabels.slice(labelsHeader, labelsHeader + count),
    };
    return this.#samples;
  }

  #setState(state: TrainingState, detail?: string): void {
    this.#state = state;
    this.#emit({ type: 'state', state, message: detail });
  }

  #emit(event: TrainingEvent): void {
    this.#reportBatches();
    void this.#listener?.(event);
  }
}

Comlink.expose(new TrainingWorker());
