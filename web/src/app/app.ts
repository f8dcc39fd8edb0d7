// The page's controller: wires the data choice, the form and the buttons to the training worker, and the
// worker's events to the views. It holds no training logic; the worker does the work and the views draw.
import type { ConfusionView } from '../ui/confusion-view';
import { DigitGrid } from '../ui/digit-grid';
import { ProgressView } from '../ui/progress-view';
import type { ScoreBars } from '../ui/score-bars';
import { TrainingCharts, type ChartPlotter } from '../ui/training-charts';
import type { WeightTiles } from '../ui/weight-tiles';
import { DATASETS, canDraw, classNames, parseDatasetChoice, type DatasetChoice } from '../data/datasets';
import { bytesToDownload, download, forget, manifest, remember } from '../data/idx-download';
import { IDX_ROLES } from '../data/idx-files';
import { covers, planFiles, type DataManifest } from '../data/served-files';
import { phaseOf, progressNote, summaryText, type RunStatus } from './run-status';
import type {
  DataInfo, DataProgress, EngineChoice, HiddenWeights, ModelSummary, OwnFilesStatus, TrainingEvent, TrainingSettings, TrainingState,
} from '../worker/protocol';
import type { Optimizer, OutputLoss } from '../wasm/scratchnet-module';
import { downloadFile, loadFromBrowser, readFile, saveToBrowser } from './model-store';
import { errorMessage } from '../lib/error-message';
import { DEFAULT_LABEL_SMOOTHING } from '../engine/defaults.js';
import { openOnEnter } from '../ui/dom';
import { OwnFilesPanel } from './own-files-panel';
import {
  DEFAULT_SETTINGS, MODEL_SETTING_NAMES, SETTING_NAMES, followsSuggestion, formatSetting, ignoredSettingWarning, parseSettings, suggestedRate, type SettingName, type Suggestions,
} from './settings';
import { TIMEOUTS, TrainerConnection, WorkerFailure, callback, transfer, type Trainer } from './trainer-client';
import type { Watch } from './watchdog';

/** Where the trainer lives and how it starts: the whole page, or one embedded element's shadow root. */
export interface AppOptions {
  /** holds the markup of template.ts */
  root: Document | ShadowRoot;
  /** gets data-state, data-batches, data-test-accuracy, data-engine, data-classes and (while the worker is gone) data-worker, for tests and styling */
  stateTarget: HTMLElement;
  /** raw settings (from the URL or the element's attributes), validated like the form */
  settings: Partial<Record<SettingName, string>>;
  /** the data set to start with */
  dataset: DatasetChoice;
  /** absolute URL the served sets' folders (data/mnist/, data/fashion-mnist/) are relative to */
  dataBase: string;
  /** absolute URL of a folder that replaces the first set's own (the `data` parameter), until the reader chooses another */
  dataUrl?: string;
  engine: EngineChoice;
  autostart: boolean;
  /** a served set downloads when a run needs it (the embed: nothing heavy before Start), not at once (the page) */
  dataOnDemand?: boolean;
  /** told when the reader chooses a data set in the panel (the page puts it in its URL, so a reload keeps it) */
  onDatasetChosen?: (choice: DatasetChoice) => void;
  /** told every training event: the page's own views (web/src/page/), which the embed does not load */
  onEvent?: (event: TrainingEvent) => void;
  /** draws the charts: uPlot with the page's overlays of earlier runs (page/run-overlays.ts), or the embed's LightPlot */
  plotter: ChartPlotter;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const errorText = (error: unknown) => errorMessage(error).replace(/^Error: /, '');
/** A call slower than this gets a note that the page waits for the worker (so a click never seems ignored). */
const SLOW_ANSWER_MILLISECONDS = 3000;
const OUTPUT_TITLES: Record<OutputLoss, string> = { 'sigmoid-l2': 'sigmoid + L2', 'softmax-xent': 'softmax + cross-entropy' };
const OPTIMIZER_TITLES: Record<Optimizer, string> = { sgd: 'SGD', adam: 'Adam', adamw: 'AdamW' };

export class App {
  readonly #root: Document | ShadowRoot;
  readonly #stateTarget: HTMLElement;
  /** the worker and its watch; replaced by Retry after a failure */
  #connection!: TrainerConnection;
  #trainer!: Trainer;
  /** why the worker is gone, while it is (the page offers Retry) */
  #workerFailure: WorkerFailure | null = null;
  /** watches training's progress reports while the state is 'training' */
  #trainingWatch: Watch | null = null;
  /** autostart waits for the first data set that loads (a Retry after a failed start still autostarts) */
  #autostartPending: boolean;
  /** when the reader last saved the model in this browser, to say so if the worker dies with the model */
  #savedInBrowserAt: Date | null = null;
  readonly #form: HTMLFormElement;
  readonly #buttons: Record<'start' | 'pause' | 'resume' | 'step' | 'reset', HTMLButtonElement>;
  readonly #modelButtons: [HTMLButtonElement, HTMLButtonElement, HTMLButtonElement, HTMLInputElement];
  readonly #datasetSelect: HTMLSelectElement;
  readonly #ownFiles: OwnFilesPanel;
  readonly #charts: TrainingCharts;
  readonly #progress: ProgressView;
  readonly #digits: DigitGrid;
  // The views of the confusion, weights and draw panels load with their panel (an embed without them does not
  // download their code); null until then, and they catch up with the set's names and the last results.
  #confusion: ConfusionView | null = null;
  #weights: WeightTiles | null = null;
  #scores: ScoreBars | null = null;
  #names: readonly string[] = [];
  #lastConfusion: number[] | null = null;
  #lastWeights: HiddenWeights | null = null;
  readonly #options: AppOptions;
  /** the panels the page or the embed chose to show; a panel that does not suit the data set hides too */
  readonly #drawPanelChosen: boolean;
  #state: TrainingState = 'idle';
  #configured = false;
  #lastDrawing: Uint8Array | null = null;
  /** the model has trained (or was loaded): until then the draw pad asks it nothing */
  #learned = false;
  /** The label smoothing the model learned with (a loaded one: its loss's default), to read its scores by. */
  #smoothing: { output: OutputLoss; smoothing: number } = { output: 'sigmoid-l2', smoothing: 0 };
  /** what the trainer is doing and how far the run got: every view's words about it come from here */
  #status: RunStatus = { phase: 'idle', report: null, epochs: 0, batches: 0, note: '' };
  #progressNote: string | null = '';

  #dataset: DatasetChoice;
  /** the set the engine holds, once it is ready; null while one loads or is being chosen */
  #data: DataInfo | null = null;
  /** the `data` folder, which serves the first set until the reader chooses one in the panel */
  #dataUrl: string | undefined;
  /** the served set's folder and what its manifest says of its files */
  #folder = '';
  #manifest: DataManifest | null = null;
  /** the training images in the served files the engine holds: 0 for all of them */
  #loadedImages = 0;
  #engineLoaded = false;
  /** counts Start's label updates, so that an older one (which awaits the cache) cannot overwrite a newer one */
  #labelRequest = 0;
  /** counts data loads, so that a slower, older one cannot overwrite a newer one's messages */
  #dataGeneration = 0;
  #drawable = true;
  /** a model loaded from the browser or a file: Start trains it further until Reset or another data set */
  #loadedModel: ModelSummary | null = null;
  /** the engine's suggested learning rates and momentum for each output, loss and optimizer */
  #suggestions: Suggestions | null = null;
  /** the output and optimizer the learning-rate field's suggestion is for */
  #suggestedFor: { output: OutputLoss; optimizer: Optimizer } = { output: 'sigmoid-l2', optimizer: 'sgd' };

  // Views whose latest update waits while the trainer is off screen (see setOnScreen).
  #onScreen = true;
  #pendingViews = new Map<'predictions' | 'weights', () => void>();

  constructor(options: AppOptions) {
    this.#options = options;
    this.#root = options.root;
    this.#stateTarget = options.stateTarget;
    this.#dataset = options.dataset;
    this.#dataUrl = options.dataUrl;
    this.#autostartPending = options.autostart;
    const element = this.#element.bind(this);
    this.#form = element<HTMLFormElement>('settings');
    this.#buttons = {
      start: element('start'), pause: element('pause'), resume: element('resume'), step: element('step'), reset: element('reset'),
    };
    this.#modelButtons = [element('save-browser'), element('load-browser'), element('download-model'), element('load-file')];
    this.#datasetSelect = element<HTMLSelectElement>('dataset');
    this.#ownFiles = new OwnFilesPanel(element, {
      onFiles: (files) => void this.#addOwnFiles(files),
      onForget: () => void this.#forgetOwnFiles(),
    });
    this.#charts = new TrainingCharts(element('loss-chart'), element('accuracy-chart'), options.plotter);
    this.#progress = new ProgressView(element('progress'));
    this.#digits = new DigitGrid(element('digit-grid'));
    this.#drawPanelChosen = !element('draw-panel').hidden;
    if (!element('confusion-panel').hidden) {
      void import('../ui/confusion-view').then(({ ConfusionView }) => {
        this.#confusion = new ConfusionView(element('confusion'));
        if (this.#names.length) this.#confusion.setClassNames(this.#names);
        if (this.#lastConfusion) this.#confusion.show(this.#lastConfusion);
      });
    }
    if (!element('weights-panel').hidden) {
      void import('../ui/weight-tiles').then(({ WeightTiles }) => {
        this.#weights = new WeightTiles(element('weight-tiles'));
        if (this.#lastWeights) this.#weights.show(this.#lastWeights);
      });
    }
    if (this.#drawPanelChosen) {
      void Promise.all([import('../ui/score-bars'), import('../ui/draw-pad')]).then(([{ ScoreBars }, { DrawPad }]) => {
        this.#scores = new ScoreBars(element('draw-pad-scores'));
        if (this.#drawable && this.#names.length) this.#scores.setClassNames(this.#names);
        new DrawPad(element('draw-pad-canvas'), (pixels) => void this.#predictDrawing(pixels));
      });
    }
    this.#stateTarget.dataset.state = this.#state;
    this.#connect();
    this.#fillForm(options.settings);
    this.#wire();
  }

  /** Stops the worker: the element left the page. */
  dispose(): void {
    this.#trainingWatch = null;
    this.#connection.terminate();
  }

  /** Starts a worker, watched: its failure comes to #workerFailed. */
  #connect(): void {
    const connection = new TrainerConnection((failure) => this.#workerFailed(connection, failure));
    this.#connection = connection;
    this.#trainer = connection.trainer;
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
    const connection = this.#connection;
    const onEvent = (event: TrainingEvent) => {
      if (connection === this.#connection && !connection.failure) this.#onEvent(event);
    };
    try {
      await this.#trainer.subscribe(callback(onEvent));
      let engine;
      try {
        engine = await this.#trainer.init({ engine: this.#options.engine });
      } catch (error) {
        // the worker runs but its engine did not load: it is of no use, and the message names the file at fault
        if (!(error instanceof WorkerFailure)) {
          const what = errorText(error);
          connection.giveUp(new WorkerFailure('engine', /[.!?]$/.test(what) ? what : `${what}.`));
        }
        return;
      }
      this.#engineLoaded = true;
      this.#element('engine-status').textContent = engine.backend === 'wasm-simd128'
        ? `Engine: WebAssembly with SIMD (wasm-simd128), ${engine.threads > 1 ? `on ${engine.threads} threads (this page is cross-origin isolated)` : 'one thread'}, in a Web Worker.`
        : `Engine: plain WebAssembly (${this.#options.engine === 'scalar' ? 'asked for with engine=scalar' : 'this browser has no wasm SIMD'}), in a Web Worker.`;
      this.#stateTarget.dataset.engine = engine.backend;
      this.#stateTarget.dataset.threads = String(engine.threads);
      // The learning rate and momentum that suit the chosen loss, unless the URL or attributes set them.
      const suggestions = await this.#trainer.suggestedSettings();
      if (!this.#suggestions) { // a Retry keeps the form as the reader left it
        this.#suggestions = suggestions;
        this.#fillForm(this.#options.settings);
      }
    } catch (error) {
      if (error instanceof WorkerFailure) return; // #workerFailed tells it
      const status = this.#root.getElementById('engine-status');
      if (status) status.textContent = `scratchnet could not start: ${errorMessage(error)}`;
      return;
    }
    await this.#useDataset(this.#dataset, true);
  }

  /**
   * The worker is gone or never started: training stops, the page says what went wrong, every control that
   * needs the worker is disabled, a model the worker can still hand over is offered for saving, and Retry
   * starts a new worker.
   */
  #workerFailed(connection: TrainerConnection, failure: WorkerFailure): void {
    if (connection !== this.#connection) return;
    const hadModel = this.#configured || this.#loadedModel !== null || ['training', 'paused', 'done', 'diverged'].includes(this.#state);
    this.#workerFailure = failure;
    this.#endTrainingWatch();
    this.#dataGeneration++; // a load under way is over
    this.#data = null;
    this.#setState('error');
    this.#stateTarget.dataset.worker = failure.kind;
    const engineStatus = this.#element('engine-status');
    if (failure.kind !== 'died') engineStatus.textContent = 'The engine is not loaded.';
    else engineStatus.textContent = 'The training worker stopped.';
    const status = this.#element('data-status');
    delete status.dataset.ready;
    status.textContent = 'The data set loads again when a new worker starts (Retry).';
    this.#element('data-progress').hidden = true;
    this.#element('data-retry').hidden = true;
    this.#message('run-message', failure.message);
    const box = this.#element('worker-failure');
    const text = this.#element('worker-failure-message');
    const save = this.#element<HTMLButtonElement>('worker-save-model');
    text.textContent = failure.message;
    save.hidden = true;
    box.hidden = false;
    this.#updateButtons();
    if (!hadModel) {
      connection.terminate();
      return;
    }
    text.textContent = `${failure.what} Recovering the trained model… ${failure.advice}`;
    void connection.salvageModel().then((bytes) => {
      if (connection !== this.#connection) return;
      if (bytes) {
        this.#salvaged = bytes;
        save.hidden = false;
        save.textContent = `Download the trained model (${(bytes.length / 1e6).toFixed(1)} MB)`;
        text.textContent = `${failure.what} The model it was training was recovered: download it first if you want to keep it. ${failure.advice}`;
      } else {
        const saved = this.#savedInBrowserAt ? ` The one you saved in this browser at ${this.#savedInBrowserAt.toLocaleTimeString()} is still there (Load from this browser).` : '';
        text.textContent = `${failure.what} The model it was training could not be recovered.${saved} ${failure.advice}`;
      }
    });
  }

  /** a model the failed worker handed over, for the failure's download button */
  #salvaged: Uint8Array | null = null;

  /** Retry: a new worker loads the engine and the data set again. */
  async #retryWorker(): Promise<void> {
    this.#connection.terminate();
    this.#workerFailure = null;
    this.#salvaged = null;
    this.#element('worker-failure').hidden = true;
    delete this.#stateTarget.dataset.worker;
    this.#element('engine-status').textContent = 'Loading the engine…';
    this.#message('run-message', '');
    this.#configured = false;
    this.#engineLoaded = false;
    this.#setState('idle');
    this.#connect();
    await this.run();
  }

  /** The state as the page shows it: the worker's, or 'error' when the worker is gone. */
  #setState(state: TrainingState): void {
    this.#state = state;
    this.#stateTarget.dataset.state = state;
    this.#show({ phase: this.#workerFailure ? 'error' : phaseOf(state) });
    if (state === 'training' && !this.#trainingWatch) this.#trainingWatch = this.#connection.watch('no progress while training', TIMEOUTS.training);
    else if (state !== 'training') this.#endTrainingWatch();
    this.#updateButtons();
  }

  #endTrainingWatch(): void {
    this.#trainingWatch?.end();
    this.#trainingWatch = null;
  }

  /** Fills the form from raw settings; each invalid one falls back to its default, with a console warning. */
  #fillForm(raw: Partial<Record<SettingName, string>>): void {
    const parsed = this.#parse(raw);
    const { settings } = parsed;
    if (!parsed.ok && this.#suggestions) { // warned once, on the second fill (the first has no suggestions yet)
      for (const [name, error] of Object.entries(parsed.errors)) {
        console.warn(ignoredSettingWarning(name, raw[name as SettingName] ?? '', error, formatSetting(settings, name as SettingName)));
      }
    }
    for (const name of SETTING_NAMES) this.#field(name).value = formatSetting(settings, name);
    // a setting under "More settings" that is not the default (for label smoothing, the loss's) shows there
    const defaults = { ...DEFAULT_SETTINGS, ...(this.#suggestions && { labelSmoothing: this.#suggestions.byOutput[settings.output].labelSmoothing }) };
    for (const name of SETTING_NAMES) {
      if (formatSetting(settings, name) !== formatSetting(defaults, name)) this.#field(name).closest('.more-settings')?.setAttribute('open', '');
    }
    this.#suggestedFor = { output: settings.output, optimizer: settings.optimizer };
    this.#showStepFields();
  }

  #parse(raw: Partial<Record<SettingName, string>>) {
    return parseSettings(raw, this.#suggestions ?? undefined);
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
      // a refusal is never folded away (the page folds the whole form on a phone: every fold around it opens)
      for (let fold = error ? field.closest('details') : null; fold; fold = fold.parentElement!.closest('details')) fold.open = true;
      const slot = this.#root.getElementById(`${name}-error`);
      if (slot) slot.textContent = error ? `${field.labels?.[0]?.firstChild?.textContent?.trim() ?? name}: ${error}` : '';
    }
    return result.ok ? result.settings : null;
  }

  #wire(): void {
    this.#form.addEventListener('input', () => {
      this.#updateButtons();
      void this.#showStartLabel();
    });
    this.#field('output').addEventListener('change', () => this.#followSuggestions());
    this.#field('optimizer').addEventListener('change', () => this.#followSuggestions());
    this.#field('schedule').addEventListener('change', () => this.#showStepFields());
    this.#element('use-suggested-rate').addEventListener('click', () => {
      if (!this.#suggestions) return;
      const { output, optimizer } = this.#suggestedFor;
      this.#field('learningRate').value = String(suggestedRate(this.#suggestions, output, optimizer));
      this.#showSuggestion(`Learning rate set to the suggestion for ${this.#suggestionTitle()}.`, null);
      this.#updateButtons();
    });
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#train('start');
    });
    this.#buttons.pause.addEventListener('click', () => void this.#act(() => this.#trainer.pause()));
    this.#buttons.resume.addEventListener('click', () => void this.#act(() => this.#trainer.resume()));
    this.#buttons.step.addEventListener('click', () => void this.#train('step'));
    this.#buttons.reset.addEventListener('click', () => void this.#act(async () => {
      this.#keepLoadedModel(null);
      if (await this.#newNetwork()) this.#show({ note: 'The network was reset to fresh random weights.' });
    }));
    this.#element('data-retry').addEventListener('click', () => void (this.#options.dataOnDemand ? this.#ensureData() : this.#useDataset(this.#dataset)));
    this.#element('worker-retry').addEventListener('click', () => void this.#retryWorker());
    this.#element('worker-save-model').addEventListener('click', () => {
      if (this.#salvaged) downloadFile(this.#salvaged, 'scratchnet-model.bin');
    });
    this.#datasetSelect.addEventListener('change', () => {
      const choice = parseDatasetChoice(this.#datasetSelect.value);
      if (!choice) return;
      this.#dataUrl = undefined;
      this.#options.onDatasetChosen?.(choice);
      void this.#useDataset(choice);
    });

    const [saveBrowser, loadBrowser, download, loadFile] = this.#modelButtons;
    openOnEnter(loadFile);
    saveBrowser.addEventListener('click', () => void this.#modelAction(async () => {
      const stored = await saveToBrowser(await this.#trainer.saveModel());
      this.#savedInBrowserAt = new Date(stored.savedAt);
      return `Saved in this browser (${(stored.bytes.length / 1e6).toFixed(1)} MB).`;
    }));
    loadBrowser.addEventListener('click', () => void this.#modelAction(async () => {
      const stored = await loadFromBrowser();
      if (!stored) return 'No model is saved in this browser yet.';
      const model = await this.#trainer.loadModel(stored.bytes);
      this.#keepLoadedModel(model);
      return `Loaded the ${model.sizes.join('-')} model saved on ${new Date(stored.savedAt).toLocaleString()}.`;
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
        const model = await this.#trainer.loadModel(await readFile(file));
        this.#keepLoadedModel(model);
        return `Loaded ${file.name}: a ${model.sizes.join('-')} ${model.output} model.`;
      } catch (error) {
        throw new Error(`${file.name} was not loaded: ${errorText(error)}. The current model is kept.`);
      }
    }));
  }

  /** The step schedule's two fields show only with that schedule. */
  #showStepFields(): void {
    const step = this.#field('schedule').value === 'step';
    for (const label of this.#form.querySelectorAll<HTMLElement>('[data-schedule="step"]')) label.hidden = !step;
  }

  /**
   * A new output and loss, or optimizer, brings its suggested learning rate (and momentum and label smoothing). A rate the reader
   * typed is kept, with the suggestion beside it to take or leave.
   */
  #followSuggestions(): void {
    const suggestions = this.#suggestions;
    const output = this.#field('output').value as OutputLoss;
    const optimizer = this.#field('optimizer').value as Optimizer;
    if (!suggestions || !(output in suggestions.byOutput)) return;
    const previous = this.#suggestedFor;
    if (output === previous.output && optimizer === previous.optimizer) return;
    this.#suggestedFor = { output, optimizer };
    const momentum = this.#field('momentum');
    if (followsSuggestion(momentum.value, suggestions.byOutput[previous.output].momentum)) {
      momentum.value = String(suggestions.byOutput[output].momentum);
    }
    const smoothing = this.#field('labelSmoothing');
    if (followsSuggestion(smoothing.value, suggestions.byOutput[previous.output].labelSmoothing)) {
      smoothing.value = String(suggestions.byOutput[output].labelSmoothing);
    }
    const rate = this.#field('learningRate');
    const next = suggestedRate(suggestions, output, optimizer);
    const title = this.#suggestionTitle();
    if (followsSuggestion(rate.value, next)) {
      this.#showSuggestion('', null);
    } else if (followsSuggestion(rate.value, suggestedRate(suggestions, previous.output, previous.optimizer))) {
      rate.value = String(next);
      this.#showSuggestion(`Learning rate set to ${next}, the suggestion for ${title}.`, null);
    } else {
      this.#showSuggestion(`Suggested for ${title}: ${next} (your ${rate.value.trim()} is kept).`, `Use ${next}`);
    }
    this.#updateButtons();
  }

  #suggestionTitle(): string {
    const { output, optimizer } = this.#suggestedFor;
    return optimizer === 'sgd' ? OUTPUT_TITLES[output] : OPTIMIZER_TITLES[optimizer];
  }

  #showSuggestion(text: string, action: string | null): void {
    const note = this.#element('learningRate-suggestion');
    note.hidden = !text;
    note.querySelector('span')!.textContent = text;
    const button = this.#element<HTMLButtonElement>('use-suggested-rate');
    button.hidden = !action;
    button.textContent = action ?? '';
  }

  /**
   * Keeps a loaded model for the next run (or, with null, lets it go): the form shows its layer sizes, output
   * and scaling, which it fixes, and Start says it continues training it.
   */
  #keepLoadedModel(model: ModelSummary | null): void {
    this.#loadedModel = model;
    this.#learned = Boolean(model);
    if (model) this.#smoothing = { output: model.output, smoothing: DEFAULT_LABEL_SMOOTHING[model.output] };
    this.#configured = false;
    const note = this.#element('model-note');
    if (model) {
      const hidden = this.#field('hidden') as HTMLInputElement;
      hidden.value = model.sizes.slice(1, -1).join(',') || '0';
      this.#field('output').value = model.output;
      this.#field('scaling').value = model.scaling;
      this.#suggestedFor = { ...this.#suggestedFor, output: model.output };
      note.textContent = `Loaded model ${model.sizes.join('-')} (${OUTPUT_TITLES[model.output]}, ${model.scaling} scaling, ` +
        `${model.step.toLocaleString('en-US')} batches trained): Continue training trains it further with the settings below; ` +
        'Reset starts a fresh network instead.';
    }
    for (const name of MODEL_SETTING_NAMES) {
      const field = this.#field(name);
      if (field instanceof HTMLInputElement) field.readOnly = Boolean(model);
      else field.disabled = Boolean(model);
    }
    note.hidden = !model;
    void this.#showStartLabel();
    this.#stateTarget.toggleAttribute('data-loaded-model', Boolean(model));
    this.#updateButtons();
  }

  /** Start or Step: the data the run needs first (downloaded now, with data on demand), then the worker. */
  async #train(action: 'start' | 'step'): Promise<void> {
    if (!(await this.#ensureData())) return;
    await this.#act(async () => {
      if ((action === 'step' && this.#configured) || (await this.#prepareRun())) await this.#trainer[action]();
    });
  }

  /** Whether the engine holds the data a run on the form's settings needs, after downloading it if not. */
  async #ensureData(): Promise<boolean> {
    const limit = this.#readForm()?.trainLimit ?? 0;
    if (this.#data && (this.#dataset === 'own' || covers(this.#loadedImages, limit))) return true;
    if (this.#dataset === 'own' || this.#state === 'loading') return false;
    return this.#loadServed(++this.#dataGeneration, limit);
  }

  /**
   * Start's label says what it will download (the files a run on the form's settings needs that are neither on
   * this page nor in the cache), with data on demand; returns that size.
   */
  async #showStartLabel(): Promise<number> {
    const request = ++this.#labelRequest;
    const limit = this.#readForm()?.trainLimit ?? 0;
    let bytes = 0;
    if (this.#options.dataOnDemand && this.#folder && this.#dataset !== 'own' && !(this.#data && covers(this.#loadedImages, limit))) {
      const { names } = planFiles(this.#manifest, limit);
      bytes = await bytesToDownload(IDX_ROLES.map((role) => ({
        url: new URL(names[role], this.#folder).href, bytes: this.#manifest?.gzippedBytes?.[names[role]] ?? 0,
      })));
    }
    if (request === this.#labelRequest) {
      this.#buttons.start.textContent = this.#loadedModel ? 'Continue training' : bytes ? `Start (downloads ${megabytes(bytes)})` : 'Start';
    }
    return bytes;
  }

  /** Readies the next run: the loaded model trained further, or a fresh network. */
  async #prepareRun(): Promise<boolean> {
    if (!this.#loadedModel) return this.#newNetwork();
    const settings = this.#readForm();
    if (!settings) return false;
    this.#charts.reset();
    this.#progress.reset();
    await this.#trainer.configure(settings, { keepModel: true });
    this.#configured = true;
    this.#smoothing = { output: settings.output, smoothing: settings.labelSmoothing };
    this.#show({
      epochs: settings.epochs, batches: 0,
      note: `Continuing the loaded ${this.#loadedModel.sizes.join('-')} model for ${settings.epochs} epoch${settings.epochs === 1 ? '' : 's'}.`,
    });
    return true;
  }

  /** A freshly initialised network with the form's settings; false (and the fields marked) if one is invalid. */
  async #newNetwork(): Promise<boolean> {
    const settings = this.#readForm();
    if (!settings) return false;
    this.#charts.reset();
    this.#progress.reset();
    this.#learned = false;
    await this.#trainer.configure(settings);
    this.#configured = true;
    this.#smoothing = { output: settings.output, smoothing: settings.labelSmoothing };
    this.#show({ report: null, epochs: settings.epochs, batches: 0, note: '' });
    return true;
  }

  /** Switches to a data set: the views and any model go, and the set loads (or waits for the reader's files). */
  async #useDataset(choice: DatasetChoice, first = false): Promise<void> {
    const generation = ++this.#dataGeneration;
    this.#dataset = choice;
    this.#datasetSelect.value = choice;
    this.#data = null;
    this.#folder = ''; // nothing to download until a served set's manifest is read
    this.#keepLoadedModel(null);
    this.#show({ report: null, batches: 0, note: '' });
    this.#charts.reset();
    this.#progress.reset();
    this.#digits.clear();
    this.#weights?.clear();
    this.#lastWeights = null;
    this.#names = [];
    this.#lastConfusion = null;
    this.#confusion?.setClassNames([]);
    this.#scores?.show(null);
    this.#message('run-message', '');
    const status = this.#element('data-status');
    delete status.dataset.ready;
    delete this.#stateTarget.dataset.classes;
    delete this.#stateTarget.dataset.testAccuracy;
    delete this.#stateTarget.dataset.batches;
    this.#element('data-retry').hidden = true;
    this.#ownFiles.visible = choice === 'own';
    this.#stateTarget.dataset.dataset = choice;
    this.#updateButtons();
    if (choice === 'own') {
      this.#element('data-progress').hidden = true;
      status.textContent = 'Looking for files kept in this browser…';
      this.#ownFiles.busy = true;
      try {
        const stored = await this.#trainer.loadStoredOwnFiles();
        if (generation !== this.#dataGeneration) return;
        this.#showOwnFiles(stored, generation);
      } catch (error) {
        if (generation !== this.#dataGeneration) return;
        this.#ownFiles.show(null, [errorText(error)]);
        status.textContent = 'Choose or drop your four IDX files.';
      } finally {
        if (generation === this.#dataGeneration) this.#ownFiles.busy = false;
      }
      return;
    }
    const { folder, title } = DATASETS[choice];
    const url = this.#dataUrl ?? new URL(folder!, this.#options.dataBase).href;
    this.#manifest = await manifest(url);
    if (generation !== this.#dataGeneration) return;
    this.#folder = url;
    if (this.#options.dataOnDemand) {
      this.#element('data-progress').hidden = true;
      const bytes = await this.#showStartLabel();
      if (generation !== this.#dataGeneration) return;
      status.textContent = `${title} ${bytes ? `downloads when training starts (${megabytes(bytes)})` : 'loads when training starts'}.`;
      this.#updateButtons();
    } else if (!(await this.#loadServed(generation, 0))) return;
    if (first && this.#autostartPending) {
      this.#autostartPending = false;
      if (this.#onScreen || !this.#pauseOffScreen) this.#buttons.start.click();
      else this.#startWhenOnScreen = true; // an autostarting trainer further down the post waits to be seen
    }
  }

  /** Loads the served set's files for a run on the first `trainLimit` images (0: all); true once the engine has them. */
  async #loadServed(generation: number, trainLimit: number): Promise<boolean> {
    const { title } = DATASETS[this.#dataset];
    const plan = planFiles(this.#manifest, trainLimit);
    const urls = IDX_ROLES.map((role) => new URL(plan.names[role], this.#folder).href);
    const status = this.#element('data-status');
    const bar = this.#element<HTMLProgressElement>('data-progress');
    const retry = this.#element('data-retry');
    retry.hidden = true;
    bar.hidden = false;
    bar.value = 0;
    const files = new Map<string, DataProgress>();
    // A shared download reports to every trainer that waits for it, until it settles: a late report must not
    // overwrite the final message ("MNIST ready" or the failure).
    let settled = false;
    const onProgress = (progress: DataProgress) => {
      if (settled || generation !== this.#dataGeneration) return;
      files.set(progress.file, progress);
      const loaded = [...files.values()].reduce((sum, p) => sum + p.loadedBytes, 0);
      const total = plan.bytes ?? [...files.values()].reduce((sum, p) => sum + (p.totalBytes || p.loadedBytes), 0);
      bar.value = total ? loaded / total : 0;
      const cached = [...files.values()].every((p) => p.cached);
      status.textContent = cached ? `Reading ${title} from this browser’s cache…` : `Downloading ${title}: ${(loaded / 1e6).toFixed(1)} of ${megabytes(total)}`;
      this.#show({ note: status.textContent });
    };
    status.textContent = `Downloading ${title}…`;
    this.#show({ note: status.textContent });
    this.#setState('loading');
    let handedOver = false;
    try {
      const blobs = await Promise.all(urls.map((url) => download(url, onProgress)));
      settled = true;
      if (generation !== this.#dataGeneration) return false;
      handedOver = true;
      const info = await this.#trainer.loadServedData(
        Object.fromEntries(IDX_ROLES.map((role, i) => [role, new File([blobs[i]], plan.names[role])])) as Record<(typeof IDX_ROLES)[number], File>,
        this.#folder, title,
      );
      if (generation !== this.#dataGeneration) return false;
      void remember(urls);
      this.#loadedImages = plan.images;
      this.#configured = false;
      const cached = files.size > 0 && [...files.values()].every((p) => p.cached);
      bar.value = 1;
      this.#show({ note: '' });
      this.#dataReady(info, `${title} ready: ${this.#describeData(info)}${cached ? ' (from this browser’s cache)' : ''}.`);
      void this.#showStartLabel();
      return true;
    } catch (error) {
      settled = true;
      if (generation !== this.#dataGeneration || error instanceof WorkerFailure) return false;
      void forget(urls);
      if (handedOver) this.#data = null; // the worker let its set go for this one
      status.textContent = `Could not load ${title}: ${errorText(error)}`;
      this.#show({ note: '' });
      retry.hidden = false;
      bar.hidden = true;
      if (this.#state === 'loading') this.#setState(this.#data ? 'ready' : 'idle');
      return false;
    }
  }

  #describeData(info: DataInfo): string {
    const shape = info.rows > 1 ? `images of ${info.rows}×${info.cols} pixels` : `samples of ${info.cols} values`;
    return `${info.trainCount.toLocaleString('en-US')} training and ${info.testCount.toLocaleString('en-US')} test ${shape}, ${info.classes} classes`;
  }

  /** The data set is in the engine: the views learn its shape and class names, and training may start. */
  #dataReady(info: DataInfo, text: string): void {
    const status = this.#element('data-status');
    status.textContent = text;
    status.dataset.ready = '';
    this.#data = info;
    const names = classNames(this.#dataset, info.classes);
    this.#digits.setClassNames(names);
    this.#names = names;
    this.#lastConfusion = null;
    this.#confusion?.setClassNames(names);
    this.#drawable = canDraw(this.#dataset, info.rows, info.cols);
    if (this.#drawable) this.#scores?.setClassNames(names);
    this.#element('draw-panel').hidden = !this.#drawPanelChosen || !this.#drawable;
    this.#stateTarget.dataset.classes = String(info.classes);
    this.#updateButtons();
  }

  async #addOwnFiles(files: File[]): Promise<void> {
    const generation = ++this.#dataGeneration;
    this.#data = null;
    this.#keepLoadedModel(null);
    delete this.#element('data-status').dataset.ready;
    this.#element('data-status').textContent = `Reading ${files.length} file${files.length === 1 ? '' : 's'}…`;
    this.#ownFiles.busy = true;
    try {
      const own = await Promise.all(files.map(async (file) => ({ name: file.name, bytes: await readFile(file) })));
      const status = await this.#trainer.addOwnFiles(transfer(own, own.map((file) => file.bytes.buffer as ArrayBuffer)));
      if (generation === this.#dataGeneration) this.#showOwnFiles(status, generation);
    } catch (error) {
      if (generation === this.#dataGeneration) {
        this.#ownFiles.show(null, [errorText(error)]);
        this.#element('data-status').textContent = 'Your files could not be read.';
      }
    } finally {
      if (generation === this.#dataGeneration) this.#ownFiles.busy = false;
    }
  }

  #showOwnFiles(status: OwnFilesStatus | null, generation: number): void {
    if (generation !== this.#dataGeneration) return;
    this.#ownFiles.show(status);
    const data = status?.data;
    if (data) {
      const kept = status.savedAt ? ` (kept in this browser since ${new Date(status.savedAt).toLocaleString()})` : '';
      this.#dataReady(data, `Your files ready: ${this.#describeData(data)}${kept}.`);
      return;
    }
    const missing = 4 - Object.keys(status?.files ?? {}).length;
    this.#element('data-status').textContent = status?.problems.length
      ? 'Your files were not loaded: see below.'
      : missing === 4 ? 'Choose or drop your four IDX files.' : `${missing} more file${missing === 1 ? '' : 's'} to go.`;
    this.#updateButtons();
  }

  async #forgetOwnFiles(): Promise<void> {
    try {
      await this.#trainer.forgetOwnFiles();
    } catch (error) {
      if (!(error instanceof WorkerFailure)) this.#ownFiles.show(null, [errorText(error)]);
      return;
    }
    await this.#useDataset('own');
  }

  /** The worker's API, for the page's own features (it changes when Retry starts a new worker). */
  get trainer(): Trainer {
    return this.#trainer;
  }

  #onEvent(event: TrainingEvent): void {
    this.#options.onEvent?.(event);
    switch (event.type) {
      case 'state':
        if (event.state !== 'training') this.#charts.flush();
        this.#setState(event.state);
        if (event.state === 'diverged') this.#message('run-message', `Training stopped: ${event.message ?? 'the run diverged.'}`);
        else if (event.state === 'error' && event.message) this.#message('run-message', event.message);
        else if (event.state === 'training') this.#message('run-message', '');
        break;
      case 'batches':
        this.#trainingWatch?.touch();
        this.#charts.addBatchLosses(event.losses, event.batchesDone);
        this.#learned = true;
        this.#progress.update(event);
        this.#show({ batches: event.batchesDone, epochs: event.epochs });
        this.#stateTarget.dataset.batches = String(event.batchesDone);
        break;
      case 'epoch':
        this.#trainingWatch?.touch();
        if (event.report.epoch > 0) this.#charts.addEpoch(event.report);
        this.#lastConfusion = event.report.confusion;
        this.#confusion?.show(event.report.confusion);
        this.#stateTarget.dataset.testAccuracy = String(event.report.testAccuracy);
        this.#show({ report: event.report, note: '' });
        break;
      case 'predictions':
        this.#showView('predictions', () => this.#digits.show(event.predictions));
        if (this.#lastDrawing && this.#onScreen) void this.#predictDrawing(this.#lastDrawing);
        break;
      case 'weights':
        this.#lastWeights = event.weights;
        this.#showView('weights', () => this.#weights?.show(event.weights));
        break;
    }
  }

  async #predictDrawing(pixels: Uint8Array | null): Promise<void> {
    this.#lastDrawing = pixels;
    if (!pixels || !this.#drawable || !this.#data || !this.#learned || this.#state === 'loading' || this.#state === 'error') {
      // an untrained network's answers are noise: say so rather than name a class
      this.#scores?.show(null, pixels && !this.#learned ? 'The network has not learned yet: train it first.' : undefined);
      return;
    }
    let scores: Float32Array;
    try {
      scores = await this.#trainer.predict(pixels);
    } catch (error) {
      if (!(error instanceof WorkerFailure)) this.#message('run-message', errorText(error));
      return;
    }
    const { output, smoothing } = this.#smoothing;
    const floor = output === 'sigmoid-l2' ? smoothing / 2 : smoothing / scores.length;
    if (pixels === this.#lastDrawing) this.#scores?.show(scores, undefined, { smoothing, floor }); // a newer drawing (or Clear) wins
  }

  #updateButtons(): void {
    const focused = this.#root.activeElement;
    const valid = this.#readForm() !== null;
    const state = this.#state;
    // with data on demand, Start (or Step) downloads what the run needs
    const canDownload = this.#options.dataOnDemand && this.#engineLoaded && this.#folder && (state === 'idle' || state === 'error');
    const hasEngine = !this.#workerFailure && (this.#data !== null
      ? !['idle', 'loading', 'error'].includes(state) || (state === 'error' && this.#configured)
      : Boolean(canDownload));
    this.#datasetSelect.disabled = Boolean(this.#workerFailure);
    const running = state === 'training';
    this.#buttons.start.disabled = !hasEngine || running || !valid;
    this.#buttons.pause.disabled = !running;
    this.#buttons.resume.disabled = state !== 'paused';
    this.#buttons.step.disabled = !hasEngine || running || state === 'done' || !valid;
    this.#buttons.reset.disabled = !hasEngine || running || !valid || !this.#data;
    for (const control of this.#modelButtons) control.disabled = !hasEngine || !this.#data;
    this.#keepFocus(focused);
  }

  /**
   * A button that disabled itself (Start, Pause, Resume) would drop the focus to the page: it goes to the control
   * that comes next (Pause once training, Resume once paused, Start once stopped), or waits on the summary while
   * nothing is enabled (the data downloading) and moves on when the state does.
   */
  #keepFocus(focused: Element | null): void {
    const parked = this.#element('summary');
    const lost = focused instanceof HTMLButtonElement && focused.disabled && Object.values(this.#buttons).includes(focused);
    if (!lost && focused !== parked) return;
    const { start, pause, resume, reset } = this.#buttons;
    const next = { training: pause, paused: resume, loading: null }[this.#state as string] ?? (start.disabled ? reset : start);
    // without scrolling: a run that ends must not move the page under the reader's eyes
    if (next && !next.disabled) next.focus({ preventScroll: true });
    else if (lost) parked.focus({ preventScroll: true });
  }

  async #act(action: () => Promise<unknown>): Promise<void> {
    const waiting = 'Waiting for the training worker to answer…';
    const slow = setTimeout(() => this.#message('run-message', waiting), SLOW_ANSWER_MILLISECONDS);
    try {
      await action();
      if (this.#element('run-message').textContent === waiting) this.#message('run-message', '');
    } catch (error) {
      if (!(error instanceof WorkerFailure)) this.#message('run-message', errorText(error)); // else #workerFailed said it
    } finally {
      clearTimeout(slow);
    }
  }

  async #modelAction(action: () => Promise<string>): Promise<void> {
    const waiting = 'Waiting for the training worker to answer…';
    const slow = setTimeout(() => this.#message('model-message', waiting), SLOW_ANSWER_MILLISECONDS);
    try {
      const text = await action();
      clearTimeout(slow);
      if (text || this.#element('model-message').textContent === waiting) this.#message('model-message', text);
    } catch (error) {
      clearTimeout(slow);
      this.#message('model-message', errorText(error), true);
    }
  }

  #message(id: string, text: string, isError = false): void {
    const slot = this.#element(id);
    slot.textContent = text;
    slot.classList.toggle('error', isError);
  }

  /** Updates the status and every view's words that come from it (each only when its words change). */
  #show(change: Partial<RunStatus>): void {
    const status = Object.assign(this.#status, change);
    const summary = this.#element('summary');
    const text = summaryText(status);
    if (summary.textContent !== text) summary.textContent = text;
    const note = progressNote(status);
    if (note !== this.#progressNote) this.#progress.setNote((this.#progressNote = note));
    const caption = this.#element('loss-caption');
    const captionText = `Training loss per batch${status.phase === 'diverged' ? ', until the loss diverged' : ''}`;
    if (caption.textContent !== captionText) caption.textContent = captionText; // a write lays the page out again
  }
}
