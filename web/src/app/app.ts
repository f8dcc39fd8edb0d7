// The page's controller: wires the form and buttons to the training worker, and the worker's events to
// the views. It holds no training logic; the worker does the work and the views draw.
import { ConfusionView } from '../ui/confusion-view';
import { DigitGrid } from '../ui/digit-grid';
import { DrawPad } from '../ui/draw-pad';
import { ProgressView } from '../ui/progress-view';
import { ScoreBars } from '../ui/score-bars';
import { TrainingCharts } from '../ui/training-charts';
import { WeightTiles } from '../ui/weight-tiles';
import type { DataProgress, EngineChoice, EpochReport, TrainingEvent, TrainingSettings, TrainingState } from '../worker/protocol';
import { downloadFile, loadFromBrowser, readFile, saveToBrowser } from './model-store';
import { errorMessage } from '../lib/error-message';
import { SETTING_NAMES, formatSetting, parseSettings, type SettingName } from './settings';
import { callback, startTrainer, type Trainer } from './trainer-client';

/** Where the trainer lives and how it starts: the whole page, or one embedded element's shadow root. */
export interface AppOptions {
  /** holds the markup of template.ts */
  root: Document | ShadowRoot;
  /** gets data-state, data-batches, data-test-accuracy and data-engine, for tests and styling */
  stateTarget: HTMLElement;
  /** raw settings (from the URL or the element's attributes), validated like the form */
  settings: Partial<Record<SettingName, string>>;
  /** absolute URL of the folder holding the four .gz files */
  dataUrl: string;
  engine: EngineChoice;
  autostart: boolean;
}

const percent = (fraction: number) => `${(100 * fraction).toFixed(2)}%`;
const errorText = (error: unknown) => errorMessage(error).replace(/^Error: /, '');

export class App {
  readonly #root: Document | ShadowRoot;
  readonly #stateTarget: HTMLElement;
  readonly #trainer: Trainer;
  readonly #terminate: () => void;
  readonly #form: HTMLFormElement;
  readonly #buttons: Record<'start' | 'pause' | 'resume' | 'step' | 'reset', HTMLButtonElement>;
  readonly #modelButtons: [HTMLButtonElement, HTMLButtonElement, HTMLButtonElement, HTMLInputElement];
  readonly #charts: TrainingCharts;
  readonly #progress: ProgressView;
  readonly #digits: DigitGrid;
  readonly #confusion: ConfusionView;
  readonly #weights: WeightTiles;
  readonly #scores: ScoreBars;
  readonly #options: AppOptions;
  #state: TrainingState = 'idle';
  #configured = false;
  #lastDrawing: Uint8Array | null = null;
  #lastEpoch: EpochReport | null = null;

  // Views whose latest update waits while the trainer is off screen (see setOnScreen).
  #onScreen = true;
  #pendingViews = new Map<'predictions' | 'weights', () => void>();

  constructor(options: AppOptions) {
    this.#options = options;
    this.#root = options.root;
    this.#stateTarget = options.stateTarget;
    const element = this.#element.bind(this);
    this.#form = element<HTMLFormElement>('settings');
    this.#buttons = {
      start: element('start'), pause: element('pause'), resume: element('resume'), step: element('step'), reset: element('reset'),
    };
    this.#modelButtons = [element('save-browser'), element('load-browser'), element('download-model'), element('load-file')];
    this.#charts = new TrainingCharts(element('loss-chart'), element('accuracy-chart'));
    this.#progress = new ProgressView(element('progress'));
    this.#digits = new DigitGrid(element('digit-grid'));
    this.#confusion = new ConfusionView(element('confusion'));
    this.#weights = new WeightTiles(element('weight-tiles'));
    this.#scores = new ScoreBars(element('draw-pad-scores'));
    ({ trainer: this.#trainer, terminate: this.#terminate } = startTrainer());
    this.#fillForm(options.settings);
    new DrawPad(element('draw-pad-canvas'), (pixels) => void this.#predictDrawing(pixels));
    this.#wire();
  }

  /** Stops the worker: the element left the page. */
  dispose(): void {
    this.#terminate();
  }

  /**
   * Off screen, views stop drawing (their latest update waits); with `pauseTraining`, training pauses too
   * and resumes when the trainer comes back.
   */
  setOnScreen(onScreen: boolean, pauseTraining: boolean): void {
    this.#pauseOffScreen = pauseTraining;
    if (onScreen === this.#onScreen) return;
    this.#onScreen = onScreen;
    this.#charts.setDrawing(onScreen);
    if (onScreen) {
      for (const show of this.#pendingViews.values()) show();
      this.#pendingViews.clear();
      if (this.#startWhenOnScreen) {
        this.#startWhenOnScreen = false;
        this.#buttons.start.click();
      }
      if (this.#pausedOffScreen) {
        this.#pausedOffScreen = false;
        void this.#act(() => this.#trainer.resume());
      }
    } else if (pauseTraining && this.#state === 'training') {
      this.#pausedOffScreen = true;
      void this.#act(() => this.#trainer.pause());
    }
  }

  #pausedOffScreen = false;
  #pauseOffScreen = false;
  #startWhenOnScreen = false;

  #element<T extends HTMLElement>(id: string): T {
    const found = this.#root.getElementById(id);
    if (!found) throw new Error(`the trainer's markup lacks #${id}`);
    return found as T;
  }

  /** Shows a view now, or when the trainer is back on screen. */
  #showView(key: 'predictions' | 'weights', show: () => void): void {
    if (this.#onScreen) show();
    else this.#pendingViews.set(key, show);
  }

  /** Starts the trainer; a failure to start is shown in the page, not thrown. */
  async run(): Promise<void> {
    try {
      await this.#trainer.subscribe(callback((event: TrainingEvent) => this.#onEvent(event)));
      await this.#loadData();
    } catch (error) {
      const status = this.#root.getElementById('engine-status');
      if (status) status.textContent = `scratchnet could not start: ${errorMessage(error)}`;
    }
  }

  /** Fills the form from raw settings; each invalid one falls back to its default, with a console warning. */
  #fillForm(raw: Partial<Record<SettingName, string>>): void {
    const parsed = parseSettings(raw);
    const { settings } = parsed;
    if (!parsed.ok) {
      for (const [name, error] of Object.entries(parsed.errors)) {
        console.warn(`scratchnet: ignoring ${name}="${raw[name as SettingName]}" (must be ${error}); using ${formatSetting(settings, name as SettingName)}`);
      }
    }
    for (const name of SETTING_NAMES) this.#field(name).value = formatSetting(settings, name);
  }

  #field(name: SettingName): HTMLInputElement | HTMLSelectElement {
    return this.#form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
  }

  /** Validates the form, marks refused fields, and returns the settings when all are valid. */
  #readForm(): TrainingSettings | null {
    const raw: Partial<Record<SettingName, string>> = {};
    for (const name of SETTING_NAMES) raw[name] = this.#field(name).value;
    const result = parseSettings(raw);
    for (const name of SETTING_NAMES) {
      const error = result.ok ? undefined : result.errors[name];
      const field = this.#field(name);
      field.setAttribute('aria-invalid', String(Boolean(error)));
      const slot = this.#root.getElementById(`${name}-error`);
      if (slot) slot.textContent = error ? `${field.labels?.[0]?.firstChild?.textContent?.trim() ?? name}: ${error}` : '';
    }
    return result.ok ? result.settings : null;
  }

  #wire(): void {
    this.#form.addEventListener('input', () => this.#updateButtons());
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#act(async () => {
        if (await this.#newNetwork()) await this.#trainer.start();
      });
    });
    this.#buttons.pause.addEventListener('click', () => void this.#act(() => this.#trainer.pause()));
    this.#buttons.resume.addEventListener('click', () => void this.#act(() => this.#trainer.resume()));
    this.#buttons.step.addEventListener('click', () => void this.#act(async () => {
      if (this.#configured || (await this.#newNetwork())) await this.#trainer.step();
    }));
    this.#buttons.reset.addEventListener('click', () => void this.#act(async () => {
      if (await this.#newNetwork()) this.#summary('The network was reset to fresh random weights.');
    }));
    this.#element('data-retry').addEventListener('click', () => void this.#loadData());

    const [saveBrowser, loadBrowser, download, loadFile] = this.#modelButtons;
    saveBrowser.addEventListener('click', () => void this.#modelAction(async () => {
      const stored = await saveToBrowser(await this.#trainer.saveModel());
      return `Saved in this browser (${(stored.bytes.length / 1e6).toFixed(1)} MB).`;
    }));
    loadBrowser.addEventListener('click', () => void this.#modelAction(async () => {
      const stored = await loadFromBrowser();
      if (!stored) return 'No model is saved in this browser yet.';
      const info = await this.#trainer.loadModel(stored.bytes);
      this.#configured = true;
      return `Loaded the ${info.sizes.join('-')} model saved on ${new Date(stored.savedAt).toLocaleString()}.`;
    }));
    download.addEventListener('click', () => void this.#modelAction(async () => {
      downloadFile(await this.#trainer.saveModel(), 'scratchnet-model.bin');
      return 'Downloaded scratchnet-model.bin.';
    }));
    loadFile.addEventListener('change', () => void this.#modelAction(async () => {
      const file = loadFile.files?.[0];
      loadFile.value = '';
      if (!file) return '';
      try {
        const info = await this.#trainer.loadModel(await readFile(file));
        this.#configured = true;
        return `Loaded ${file.name}: a ${info.sizes.join('-')} ${info.output} model.`;
      } catch (error) {
        throw new Error(`${file.name} was not loaded: ${errorText(error)}. The current model is kept.`);
      }
    }));
  }

  /** A freshly initialised network with the form's settings; false (and the fields marked) if one is invalid. */
  async #newNetwork(): Promise<boolean> {
    const settings = this.#readForm();
    if (!settings) return false;
    this.#charts.reset();
    this.#progress.reset();
    await this.#trainer.configure(settings);
    this.#configured = true;
    return true;
  }

  async #loadData(): Promise<void> {
    const status = this.#element('data-status');
    const bar = this.#element<HTMLProgressElement>('data-progress');
    const retry = this.#element('data-retry');
    retry.hidden = true;
    bar.hidden = false;
    const files = new Map<string, DataProgress>();
    // Progress reports come through their own message port, so one can arrive after init() has settled:
    // it must not overwrite the final message ("MNIST ready" or the failure).
    let settled = false;
    const onProgress = (progress: DataProgress) => {
      if (settled) return;
      files.set(progress.file, progress);
      const loaded = [...files.values()].reduce((sum, p) => sum + p.loadedBytes, 0);
      const total = [...files.values()].reduce((sum, p) => sum + (p.totalBytes || p.loadedBytes), 0);
      bar.value = total ? loaded / total : 0;
      const cached = [...files.values()].every((p) => p.cached);
      status.textContent = cached ? 'Reading MNIST from this browser’s cache…' : `Downloading MNIST: ${(loaded / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`;
    };
    status.textContent = 'Downloading MNIST…';
    try {
      const info = await this.#trainer.init({ engine: this.#options.engine, dataUrl: this.#options.dataUrl }, callback(onProgress));
      settled = true;
      const cached = [...files.values()].length > 0 && [...files.values()].every((p) => p.cached);
      status.textContent = `MNIST ready: ${info.trainCount.toLocaleString()} training and ${info.testCount.toLocaleString()} test images${cached ? ' (from this browser’s cache)' : ''}.`;
      status.dataset.ready = '';
      bar.value = 1;
      this.#element('engine-status').textContent = info.backend === 'wasm-simd128'
        ? `Engine: WebAssembly with SIMD (wasm-simd128), ${info.threads > 1 ? `on ${info.threads} threads (this page is cross-origin isolated)` : 'one thread'}, in a Web Worker.`
        : `Engine: plain WebAssembly (${this.#options.engine === 'scalar' ? 'asked for with engine=scalar' : 'this browser has no wasm SIMD'}), in a Web Worker.`;
      this.#stateTarget.dataset.engine = info.backend;
      this.#stateTarget.dataset.threads = String(info.threads);
      this.#updateButtons();
      if (this.#options.autostart) {
        if (this.#onScreen || !this.#pauseOffScreen) this.#buttons.start.click();
        else this.#startWhenOnScreen = true; // an autostarting trainer further down the post waits to be seen
      }
    } catch (error) {
      settled = true;
      status.textContent = `Could not load MNIST: ${errorText(error)}`;
      retry.hidden = false;
      bar.hidden = true;
    }
  }

  #onEvent(event: TrainingEvent): void {
    switch (event.type) {
      case 'state':
        this.#state = event.state;
        this.#stateTarget.dataset.state = event.state;
        this.#updateButtons();
        if (event.state === 'diverged') this.#message('run-message', `Training stopped: ${event.message ?? 'the run diverged.'}`);
        else if (event.state === 'error' && event.message) this.#message('run-message', event.message);
        else if (event.state === 'training') this.#message('run-message', '');
        if (event.state === 'done' && this.#lastEpoch) this.#summary(`Done: ${this.#describeEpoch(this.#lastEpoch)}`);
        if (event.state === 'paused') this.#summary(`Paused${this.#lastEpoch ? ` after ${this.#describeEpoch(this.#lastEpoch)}` : ''}.`);
        break;
      case 'batches':
        this.#charts.addBatchLosses(event.losses, event.batchesDone);
        this.#progress.update(event);
        this.#stateTarget.dataset.batches = String(event.batchesDone);
        break;
      case 'epoch':
        this.#lastEpoch = event.report;
        if (event.report.epoch > 0) this.#charts.addEpoch(event.report);
        this.#confusion.show(event.report.confusion);
        this.#stateTarget.dataset.testAccuracy = String(event.report.testAccuracy);
        this.#summary(this.#describeEpoch(event.report));
        break;
      case 'predictions':
        this.#showView('predictions', () => this.#digits.show(event.predictions));
        if (this.#lastDrawing && this.#onScreen) void this.#predictDrawing(this.#lastDrawing);
        break;
      case 'weights':
        this.#showView('weights', () => this.#weights.show(event.weights));
        break;
    }
  }

  #describeEpoch(report: EpochReport): string {
    const test = `test accuracy ${percent(report.testAccuracy)}`;
    if (report.epoch === 0) return `Loaded model: ${test}.`;
    return `Epoch ${report.epoch} of ${report.epochs}: ${test}, training accuracy ${percent(report.trainAccuracy)}.`;
  }

  async #predictDrawing(pixels: Uint8Array | null): Promise<void> {
    this.#lastDrawing = pixels;
    if (!pixels || this.#state === 'idle' || this.#state === 'loading' || this.#state === 'error') {
      this.#scores.show(null);
      return;
    }
    const scores = await this.#trainer.predict(pixels);
    if (pixels === this.#lastDrawing) this.#scores.show(scores); // a newer drawing (or Clear) wins
  }

  #updateButtons(): void {
    const valid = this.#readForm() !== null;
    const state = this.#state;
    const hasEngine = !['idle', 'loading', 'error'].includes(state) || (state === 'error' && this.#configured);
    const running = state === 'training';
    this.#buttons.start.disabled = !hasEngine || running || !valid;
    this.#buttons.pause.disabled = !running;
    this.#buttons.resume.disabled = state !== 'paused';
    this.#buttons.step.disabled = !hasEngine || running || state === 'done' || !valid;
    this.#buttons.reset.disabled = !hasEngine || running || !valid;
    for (const control of this.#modelButtons) control.disabled = !hasEngine;
  }

  async #act(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.#message('run-message', errorText(error));
    }
  }

  async #modelAction(action: () => Promise<string>): Promise<void> {
    try {
      const text = await action();
      if (text) this.#message('model-message', text);
    } catch (error) {
      this.#message('model-message', errorText(error), true);
    }
  }

  #message(id: string, text: string, isError = false): void {
    const slot = this.#element(id);
    slot.textContent = text;
    slot.classList.toggle('error', isError);
  }

  #summary(text: string): void {
    this.#element('summary').textContent = text;
  }
}
