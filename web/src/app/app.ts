// The page's controller: wires the form and buttons to the training worker, and the worker's events to
// the views. It holds no training logic; the worker does the work and the views draw.
import { ConfusionView } from '../ui/confusion-view';
import { DigitGrid } from '../ui/digit-grid';
import { DrawPad } from '../ui/draw-pad';
import { ProgressView } from '../ui/progress-view';
import { ScoreBars } from '../ui/score-bars';
import { TrainingCharts } from '../ui/training-charts';
import { WeightTiles } from '../ui/weight-tiles';
import type { DataProgress, EpochReport, TrainingEvent, TrainingSettings, TrainingState } from '../worker/protocol';
import { downloadFile, loadFromBrowser, readFile, saveToBrowser } from './model-store';
import { DEFAULT_SETTINGS, SETTING_NAMES, formatSetting, parseSettings, settingsFromQuery, type SettingName } from './settings';
import { callback, startTrainer, type Trainer } from './trainer-client';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page lacks #${id}`);
  return found as T;
}

const percent = (fraction: number) => `${(100 * fraction).toFixed(2)}%`;
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/^Error: /, '');

export class App {
  readonly #trainer: Trainer;
  readonly #form = element<HTMLFormElement>('settings');
  readonly #buttons = {
    start: element<HTMLButtonElement>('start'), pause: element<HTMLButtonElement>('pause'),
    resume: element<HTMLButtonElement>('resume'), step: element<HTMLButtonElement>('step'),
    reset: element<HTMLButtonElement>('reset'),
  };
  readonly #modelButtons = [
    element<HTMLButtonElement>('save-browser'), element<HTMLButtonElement>('load-browser'),
    element<HTMLButtonElement>('download-model'), element<HTMLInputElement>('load-file'),
  ];
  readonly #charts = new TrainingCharts(element('loss-chart'), element('accuracy-chart'));
  readonly #progress = new ProgressView(element('progress'));
  readonly #digits = new DigitGrid(element('digit-grid'));
  readonly #confusion = new ConfusionView(element('confusion'));
  readonly #weights = new WeightTiles(element('weight-tiles'));
  readonly #scores = new ScoreBars(element('draw-pad-scores'));
  readonly #options: { flavor: 'simd' | 'scalar'; dataUrl: string; autostart: boolean };
  #state: TrainingState = 'idle';
  #configured = false;
  #lastDrawing: Uint8Array | null = null;
  #lastEpoch: EpochReport | null = null;

  constructor(query: URLSearchParams) {
    this.#trainer = startTrainer().trainer;
    this.#options = {
      flavor: query.get('engine') === 'scalar' ? 'scalar' : 'simd',
      dataUrl: new URL(query.get('data') ?? './data/mnist/', document.baseURI).href,
      autostart: query.has('autostart'),
    };
    this.#fillForm(query);
    new DrawPad(element('draw-pad-canvas'), (pixels) => void this.#predictDrawing(pixels));
    this.#wire();
  }

  async run(): Promise<void> {
    await this.#trainer.subscribe(callback((event: TrainingEvent) => this.#onEvent(event)));
    await this.#loadData();
  }

  #fillForm(query: URLSearchParams): void {
    const fromUrl = parseSettings(settingsFromQuery(query));
    const settings = fromUrl.ok ? fromUrl.settings : DEFAULT_SETTINGS;
    for (const name of SETTING_NAMES) this.#field(name).value = formatSetting(settings, name);
    if (!fromUrl.ok) this.#message('run-message', 'Some settings in the address were not valid and were replaced by defaults.');
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
      const slot = document.getElementById(`${name}-error`);
      if (slot) slot.textContent = error ? `${field.labels?.[0]?.firstChild?.textContent?.trim() ?? name}: ${error}` : '';
    }
    return result.ok ? result.settings : null;
  }

  #wire(): void {
    this.#form.addEventListener('input', () => this.#updateButtons());
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#act(async () => {
        const settings = this.#readForm();
        if (!settings) return;
        this.#charts.reset();
        this.#progress.reset();
        await this.#trainer.configure(settings);
        this.#configured = true;
        await this.#trainer.start();
      });
    });
    this.#buttons.pause.addEventListener('click', () => void this.#act(() => this.#trainer.pause()));
    this.#buttons.resume.addEventListener('click', () => void this.#act(() => this.#trainer.resume()));
    this.#buttons.step.addEventListener('click', () => void this.#act(async () => {
      if (!this.#configured) {
        const settings = this.#readForm();
        if (!settings) return;
        await this.#trainer.configure(settings);
        this.#configured = true;
      }
      await this.#trainer.step();
    }));
    this.#buttons.reset.addEventListener('click', () => void this.#act(async () => {
      const settings = this.#readForm();
      if (!settings) return;
      this.#charts.reset();
      this.#progress.reset();
      await this.#trainer.configure(settings);
      this.#configured = true;
      this.#summary('The network was reset to fresh random weights.');
    }));
    element('data-retry').addEventListener('click', () => void this.#loadData());

    const [saveBrowser, loadBrowser, download, loadFile] = this.#modelButtons as [HTMLButtonElement, HTMLButtonElement, HTMLButtonElement, HTMLInputElement];
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

  async #loadData(): Promise<void> {
    const status = element('data-status');
    const bar = element<HTMLProgressElement>('data-progress');
    const retry = element('data-retry');
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
      const info = await this.#trainer.init({ flavor: this.#options.flavor, dataUrl: this.#options.dataUrl }, callback(onProgress));
      settled = true;
      const cached = [...files.values()].length > 0 && [...files.values()].every((p) => p.cached);
      status.textContent = `MNIST ready: ${info.trainCount.toLocaleString()} training and ${info.testCount.toLocaleString()} test images${cached ? ' (from this browser’s cache)' : ''}.`;
      status.dataset.ready = '';
      bar.value = 1;
      element('engine-status').textContent = info.backend === 'wasm-simd128'
        ? 'Engine: WebAssembly with SIMD (wasm-simd128), in a Web Worker.'
        : `Engine: plain WebAssembly (${this.#options.flavor === 'scalar' ? 'asked for with engine=scalar' : 'this browser has no wasm SIMD'}), in a Web Worker.`;
      document.body.dataset.engine = info.backend;
      this.#updateButtons();
      if (this.#options.autostart) this.#buttons.start.click();
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
        document.body.dataset.state = event.state;
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
        document.body.dataset.batches = String(event.batchesDone);
        break;
      case 'epoch':
        this.#lastEpoch = event.report;
        if (event.report.epoch > 0) this.#charts.addEpoch(event.report);
        this.#confusion.show(event.report.confusion);
        document.body.dataset.testAccuracy = String(event.report.testAccuracy);
        this.#summary(this.#describeEpoch(event.report));
        break;
      case 'predictions':
        this.#digits.show(event.predictions);
        if (this.#lastDrawing) void this.#predictDrawing(this.#lastDrawing);
        break;
      case 'weights':
        this.#weights.show(event.weights);
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
    const slot = element(id);
    slot.textContent = text;
    slot.classList.toggle('error', isError);
  }

  #summary(text: string): void {
    element('summary').textContent = text;
  }
}
