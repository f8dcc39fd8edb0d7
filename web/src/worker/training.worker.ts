/// <reference lib="webworker" />
// The training worker: owns the wasm engine and the data, runs the training loop, and tells the page
// what happened through events. Training runs here so the page's main thread only renders.
import * as Comlink from 'comlink';
import { simd, threads } from 'wasm-feature-detect';
import { EngineError, loadEngine, type Engine, type Flavor } from '../engine/engine.js';
import { MnistDownload, type MnistBytes } from '../data/mnist-download';
import { errorMessage } from '../lib/error-message';
import { topClass } from '../lib/top-class';
import type {
  DataInfo, DataProgress, DigitPredictions, EngineChoice, TrainerApi, TrainingEvent, TrainingSettings, TrainingState,
} from './protocol';

const CHUNK_MILLISECONDS = 40; // work between yields: short enough that pause/step answer at once
// Batches per engine.train() call: several, so the engine's loop (and its deferred steps, DeferredSteps in
// kernels.h) runs uninterrupted, about 30 ms of the default network's work a call. Set from the network's
// size, never from a clock: a step that ends a call settles the deferred ones and rounds differently, so
// call boundaries must not depend on timing for a seed to give the same run every time.
const WORK_PER_CALL = 6.25e8; // batch size × parameters: 6 batches of the default network
const MAX_BATCHES_PER_CALL = 16;
const SAMPLE_DIGITS = 40; // test digits shown with their predictions
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

class TrainingWorker implements TrainerApi {
  #engine: Engine | null = null;
  #data: MnistBytes | null = null;
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
  #trainLimit = -1;
  #batchesPerCall = 1; // see WORK_PER_CALL
  #toEpochEnd = 1; // batches left in the epoch, as the last call reported (1 until one has)

  async init(options: { engine: EngineChoice; dataUrl: string }, onProgress: (progress: DataProgress) => void): Promise<DataInfo> {
    this.#setState('loading');
    try {
      if (!this.#engine) {
        this.#engine = await loadEngine({ flavor: await chooseFlavor(options.engine) });
      }
      if (!this.#data) {
        const download = new MnistDownload(options.dataUrl);
        let data: MnistBytes;
        try {
          data = await download.fetchAll(onProgress);
          try {
            this.#engine.loadData('test', data.testImages, data.testLabels);
            this.#loadTrain(data, 0);
          } catch (error) {
            // The engine says which split and file kind it refused; say where the files came from too. A host
            // that answers a missing file with its index page (SPA fallback) sends HTML with status 200.
            const html = Object.values(data).some((bytes) => bytes[0] === 0x3c); // '<'
            throw new Error(`the files at ${options.dataUrl} are not MNIST (${errorMessage(error)})${html ? '; the server sent a web page instead: is the data folder there?' : ''}`);
          }
        } catch (error) {
          await download.forget();
          throw error;
        }
        await download.remember();
        this.#data = data;
      }
      this.#setState('ready');
      const info = this.#engine.info();
      return {
        trainCount: info.trainCount, testCount: info.testCount, backend: this.#engine.backend,
        threads: this.#engine.flavor === 'simd-threads' ? 2 : 1,
      };
    } catch (error) {
      this.#setState('error', errorMessage(error));
      throw new Error(errorMessage(error));
    }
  }

  subscribe(listener: (event: TrainingEvent) => void): void {
    this.#listener = listener;
  }

  configure(settings: TrainingSettings): void {
    const engine = this.#requireEngine();
    this.#running = false;
    if (this.#data) this.#loadTrain(this.#data, settings.trainLimit);
    engine.createModel({ sizes: [784, ...settings.hidden, 10], output: settings.output, seed: settings.seed });
    engine.setOptions({ batchSize: settings.batchSize, learningRate: settings.learningRate, momentum: settings.momentum });
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

  reset(): void {
    if (this.#settings) this.configure(this.#settings);
  }

  predict(pixels: Uint8Array): Float32Array {
    return this.#requireEngine().predict(pixels);
  }

  saveModel(): Uint8Array {
    const bytes = this.#requireEngine().saveModel();
    return Comlink.transfer(bytes, [bytes.buffer]);
  }

  loadModel(bytes: Uint8Array): { sizes: number[]; output: 'sigmoid-l2' | 'softmax-xent' } {
    const engine = this.#requireEngine();
    const wasRunning = this.#running;
    this.#running = false;
    try {
      const info = engine.loadModel(bytes);
      if (this.#settings) engine.setOptions(this.#settings);
      this.#resetRun();
      this.#setState(this.#settings ? 'paused' : 'ready');
      const evaluation = engine.evaluate('test');
      this.#emit({
        type: 'epoch',
        report: { epoch: 0, epochs: this.#settings?.epochs ?? 0, trainLoss: NaN, trainAccuracy: NaN, testLoss: evaluation.loss, testAccuracy: evaluation.accuracy, confusion: evaluation.confusion },
      });
      this.#refreshViews(true);
      return { sizes: info.sizes, output: info.output };
    } catch (error) {
      if (wasRunning) this.start();
      throw new Error(errorMessage(error));
    }
  }

  /** Loads the first `limit` training images (0 and 60,000 up: all of them), unless they are what is loaded. */
  #loadTrain(data: MnistBytes, limit: number): void {
    const kept = limit >= 60000 ? 0 : limit;
    if (kept === this.#trainLimit) return;
    this.#requireEngine().loadData('train', data.trainImages, data.trainLabels, { limit: kept });
    this.#trainLimit = kept;
  }

  /** A new run, of a new or loaded model: the counts restart, and the engine calls are planned for its size. */
  #resetRun(): void {
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
      if (losses.length) this.#emitBatches(losses, samples, start, summary);
      const diverged = error instanceof EngineError && error.diverged;
      this.#setState(diverged ? 'diverged' : 'error', errorMessage(error));
      return;
    }
    this.#batchesDone += losses.length;
    this.#emitBatches(losses, samples, start, summary);
    if (summary.epoch > this.#epochsDone) this.#finishEpoch(summary.epoch, settings);
  }

  #emitBatches(losses: number[], samples: number, start: number, summary: { batchesPerEpoch: number } | undefined): void {
    if (!summary) return;
    const seconds = (performance.now() - start) / 1000;
    this.#emit({
      type: 'batches', losses, batchesDone: this.#batchesDone, epochs: this.#settings?.epochs ?? 0,
      batchesPerEpoch: summary.batchesPerEpoch,
      samplesPerSecond: seconds > 0 ? samples / seconds : 0,
    });
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

  /** Sends the sample digits' predictions and the first layer's weight tiles. */
  #refreshViews(always: boolean): void {
    if (!this.#data || !this.#engine) return;
    if (!always && performance.now() - this.#lastRefresh < REFRESH_MILLISECONDS) return;
    this.#lastRefresh = performance.now();
    const { pixels, labels } = this.#sampleDigits(this.#data);
    const scores = this.#engine.predict(pixels);
    const classes = scores.length / SAMPLE_DIGITS;
    const predicted = new Uint8Array(SAMPLE_DIGITS);
    for (let i = 0; i < SAMPLE_DIGITS; i++) predicted[i] = Math.max(0, topClass(scores.subarray(i * classes, (i + 1) * classes)));
    const predictions: DigitPredictions = { pixels, labels, predicted };
    this.#emit({ type: 'predictions', predictions });
    const { sizes } = this.#engine.info();
    const units = Math.min(SHOWN_UNITS, sizes[1] ?? 0);
    if (sizes.length > 2 && units > 0) {
      const { weights, inputs } = this.#engine.firstLayerWeights(units);
      this.#emit({ type: 'weights', weights: { weights, units, inputs } });
    }
  }

  /** The first SAMPLE_DIGITS test images and labels, cut from the files once. */
  #samples: { pixels: Uint8Array; labels: Uint8Array } | null = null;
  #sampleDigits(data: MnistBytes): { pixels: Uint8Array; labels: Uint8Array } {
    this.#samples ??= {
      pixels: data.testImages.slice(16, 16 + SAMPLE_DIGITS * 784),
      labels: data.testLabels.slice(8, 8 + SAMPLE_DIGITS),
    };
    return this.#samples;
  }

  #setState(state: TrainingState, detail?: string): void {
    this.#state = state;
    this.#emit({ type: 'state', state, message: detail });
  }

  #emit(event: TrainingEvent): void {
    void this.#listener?.(event);
  }
}

Comlink.expose(new TrainingWorker());
