// The training settings: defaults, limits, and validation of what a person typed (or put in the URL).
// Pure functions, so the rules are unit-tested and shared by the form and the URL parser.
import type { Optimizer, OutputLoss, ScalingChoice, Schedule } from '../wasm/scratchnet-module';
import type { EngineChoice, TrainingSettings } from '../worker/protocol';
import { DEFAULT_MODEL, DEFAULT_OPTIONS, DEFAULT_RUN, LIMITS as ENGINE_LIMITS, RUN_LIMITS } from '../engine/defaults.js';

/** The engine's defaults (engine/defaults.js, held to the C++'s by a test), and a run of DEFAULT_RUN. */
export const DEFAULT_SETTINGS: Readonly<TrainingSettings> = Object.freeze({
  hidden: DEFAULT_MODEL.sizes.slice(1, -1),
  learningRate: DEFAULT_OPTIONS.learningRate,
  momentum: DEFAULT_OPTIONS.momentum,
  batchSize: DEFAULT_OPTIONS.batchSize,
  epochs: DEFAULT_RUN.epochs,
  output: DEFAULT_MODEL.output,
  seed: DEFAULT_MODEL.seed,
  trainLimit: 0,
  optimizer: DEFAULT_OPTIONS.optimizer,
  weightDecay: DEFAULT_OPTIONS.weightDecay,
  dropout: DEFAULT_OPTIONS.dropout,
  labelSmoothing: DEFAULT_OPTIONS.labelSmoothing,
  schedule: DEFAULT_RUN.schedule,
  warmupEpochs: DEFAULT_RUN.warmupEpochs,
  stepEpochs: DEFAULT_RUN.stepEpochs,
  stepGamma: DEFAULT_RUN.stepGamma,
  scaling: DEFAULT_MODEL.scaling,
});

export type SettingName = keyof TrainingSettings;
export const SETTING_NAMES: readonly SettingName[] = [
  'hidden', 'learningRate', 'momentum', 'batchSize', 'epochs', 'output', 'seed', 'trainLimit',
  'optimizer', 'weightDecay', 'dropout', 'labelSmoothing', 'schedule', 'warmupEpochs', 'stepEpochs', 'stepGamma', 'scaling',
];
/** The settings a saved model fixes: shown, but not changed, while a loaded model is kept. */
export const MODEL_SETTING_NAMES: readonly SettingName[] = ['hidden', 'output', 'scaling'];

/** Field name → message, for every field that was refused. */
export type SettingErrors = Partial<Record<SettingName, string>>;

/** `settings` holds every accepted field, and the default for each refused one. */
export type ParseResult =
  | { ok: true; settings: TrainingSettings }
  | { ok: false; errors: SettingErrors; settings: TrainingSettings };

/**
 * The engine's suggested learning rate, momentum and label smoothing for each output and loss (defaultOptionsFor in
 * engine.js), and its one learning rate for Adam and AdamW, whichever the loss.
 */
export interface Suggestions {
  byOutput: Record<OutputLoss, { learningRate: number; momentum: number; labelSmoothing: number }>;
  adamLearningRate: number;
}

/** The learning rate the engine suggests for this output and loss with this optimizer. */
export function suggestedRate(suggestions: Suggestions, output: OutputLoss, optimizer: Optimizer): number {
  return optimizer === 'sgd' ? suggestions.byOutput[output].learningRate : suggestions.adamLearningRate;
}

export const OUTPUTS: readonly OutputLoss[] = ['sigmoid-l2', 'softmax-xent'];
export const OPTIMIZERS: readonly Optimizer[] = ['sgd', 'adam', 'adamw'];
export const SCHEDULES: readonly Schedule[] = ['constant', 'cosine', 'step'];
export const SCALINGS: readonly ScalingChoice[] = ['auto', 'rms', 'unit', 'standard'];
/** The engine's limits (the CLI's too); the count of training images is the page's own. */
export const LIMITS = Object.freeze({
  hiddenLayers: ENGINE_LIMITS.hiddenLayers,
  hiddenSize: ENGINE_LIMITS.layerSize,
  learningRate: ENGINE_LIMITS.learningRate,
  batchSize: ENGINE_LIMITS.batchSize,
  epochs: RUN_LIMITS.epochs,
  seed: ENGINE_LIMITS.seed,
  trainImages: 10_000_000,
  dropout: ENGINE_LIMITS.dropout,
});

function parseNumber(text: string, { integer, min, max }: { integer: boolean; min: number; max: number; }): number | null {
  const trimmed = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) return null;
  const value = Number(trimmed);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) return null;
  return value;
}

function parseHidden(text: string): number[] | string {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '0') return [];
  const parts = trimmed.split(/\s*,\s*/);
  if (parts.length > LIMITS.hiddenLayers) return `at most ${LIMITS.hiddenLayers} hidden layers`;
  const sizes: number[] = [];
  for (const part of parts) {
    const size = parseNumber(part, { integer: true, min: 1, max: LIMITS.hiddenSize });
    if (size === null) return `whole numbers from 1 to ${LIMITS.hiddenSize}, separated by commas`;
    sizes.push(size);
  }
  return sizes;
}

function oneOf<T extends string>(text: string, allowed: readonly T[]): T | null {
  return (allowed as readonly string[]).includes(text) ? (text as T) : null;
}

/**
 * Validates raw field texts (from the form or the URL). Missing fields take their defaults; with
 * `suggestions`, a missing learning rate and momentum take the engine's for the output and optimizer, as
 * what suits one fails another. Every refused field gets a message that says what is allowed.
 */
export function parseSettings(raw: Partial<Record<SettingName, string>>, suggestions?: Suggestions): ParseResult {
  const errors: SettingErrors = {};
  const settings: TrainingSettings = { ...DEFAULT_SETTINGS, hidden: [...DEFAULT_SETTINGS.hidden] };
  type NumberName = 'learningRate' | 'momentum' | 'batchSize' | 'epochs' | 'seed' | 'weightDecay' | 'dropout' | 'labelSmoothing' | 'warmupEpochs' | 'stepEpochs' | 'stepGamma';
  const numberField = (name: NumberName, rule: { integer: boolean; min: number; max: number; }, message: string) => {
    const text = raw[name];
    if (text === undefined) return;
    const value = parseNumber(text, rule);
    if (value === null) errors[name] = message;
    else settings[name] = value;
  };
  const choiceField = <T extends string>(name: 'optimizer' | 'schedule' | 'scaling', allowed: readonly T[]) => {
    const text = raw[name];
    if (text === undefined) return;
    const value = oneOf(text, allowed);
    if (value === null) errors[name] = `one of ${allowed.join(', ')}`;
    else (settings[name] as T) = value;
  };
  if (raw.output !== undefined) {
    const output = oneOf(raw.output, OUTPUTS);
    if (output) settings.output = output;
    else errors.output = `one of ${OUTPUTS.join(', ')}`;
  }
  choiceField('optimizer', OPTIMIZERS);
  if (suggestions) {
    settings.learningRate = suggestedRate(suggestions, settings.output, settings.optimizer);
    settings.momentum = suggestions.byOutput[settings.output].momentum;
    settings.labelSmoothing = suggestions.byOutput[settings.output].labelSmoothing;
  }
  if (raw.hidden !== undefined) {
    const hidden = parseHidden(raw.hidden);
    if (typeof hidden === 'string') errors.hidden = hidden;
    else settings.hidden = hidden;
  }
  numberField('learningRate', { integer: false, min: Number.MIN_VALUE, max: LIMITS.learningRate },
    `a number above 0, at most ${LIMITS.learningRate}`);
  numberField('momentum', { integer: false, min: 0, max: 0.999 }, 'a number from 0 to 0.999');
  numberField('batchSize', { integer: true, min: 1, max: LIMITS.batchSize }, `a whole number from 1 to ${LIMITS.batchSize}`);
  numberField('epochs', { integer: true, min: 1, max: LIMITS.epochs }, `a whole number from 1 to ${LIMITS.epochs}`);
  numberField('seed', { integer: true, min: 0, max: LIMITS.seed }, `a whole number from 0 to ${LIMITS.seed}`);
  if (raw.trainLimit !== undefined) {
    const all = /^\s*all\s*$/i.test(raw.trainLimit);
    const value = all ? 0 : parseNumber(raw.trainLimit, { integer: true, min: 100, max: LIMITS.trainImages });
    if (value === null) errors.trainLimit = `"all", or a whole number from 100 to ${LIMITS.trainImages}`;
    else settings.trainLimit = value;
  }
  numberField('weightDecay', { integer: false, min: 0, max: 0.999 }, 'a number from 0 to 0.999');
  numberField('dropout', { integer: false, min: 0, max: LIMITS.dropout }, `a number from 0 to ${LIMITS.dropout}`);
  numberField('labelSmoothing', { integer: false, min: 0, max: 0.999 }, 'a number from 0 to 0.999');
  choiceField('schedule', SCHEDULES);
  numberField('warmupEpochs', { integer: false, min: 0, max: LIMITS.epochs }, `a number of epochs from 0 to ${LIMITS.epochs}`);
  numberField('stepEpochs', { integer: false, min: 0.01, max: LIMITS.epochs }, `a number of epochs from 0.01 to ${LIMITS.epochs}`);
  numberField('stepGamma', { integer: false, min: Number.MIN_VALUE, max: 1 }, 'a number above 0, at most 1');
  choiceField('scaling', SCALINGS);
  return Object.keys(errors).length ? { ok: false, errors, settings } : { ok: true, settings };
}

/**
 * Whether a field still holds a suggested value (the reader has not typed their own): the same number, or
 * the same word, however it is written.
 */
export function followsSuggestion(fieldText: string, suggestion: number | string): boolean {
  if (typeof suggestion === 'string') return fieldText.trim() === suggestion;
  const value = parseNumber(fieldText, { integer: false, min: -Infinity, max: Infinity });
  return value !== null && Math.abs(value - suggestion) <= 1e-9 * Math.max(1, Math.abs(suggestion));
}

/**
 * The console warning for a setting from the URL (or an attribute) that is refused: `error` is the parser's
 * message, which says what is allowed ("a whole number from 1 to 4096"), and `using` the value taken instead.
 */
export function ignoredSettingWarning(name: string, value: string, error: string, using: string): string {
  return `scratchnet: ignoring ${name}="${value}" (must be ${error}); using ${using}`;
}

export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'simd', 'scalar', 'threads'];

/** The page's `engine` parameter: a known build, or 'auto' (with a warning when something else was given). */
export function parseEngineChoice(text: string | null): { engine: EngineChoice; warning?: string } {
  if (text === null) return { engine: 'auto' };
  const engine = ENGINE_CHOICES.find((choice) => choice === text);
  if (engine) return { engine };
  return { engine: 'auto', warning: ignoredSettingWarning('engine', text, `one of ${ENGINE_CHOICES.join(', ')}`, 'auto') };
}

/** The output setting a loss name gives: the short l2 and xent, or the output's own name (validated later). */
export function outputFromLossName(name: string): string {
  const outputs: Record<string, string> = { l2: 'sigmoid-l2', xent: 'softmax-xent' };
  return Object.hasOwn(outputs, name) ? outputs[name] : name;
}

/** The settings given in a URL's query (?hidden=512,256&lr=0.5&epochs=1 ...): short and long names both work. */
export function settingsFromQuery(query: URLSearchParams): Partial<Record<SettingName, string>> {
  const aliases: Record<string, SettingName> = {
    hidden: 'hidden', lr: 'learningRate', learningRate: 'learningRate', momentum: 'momentum', batch: 'batchSize',
    batchSize: 'batchSize', epochs: 'epochs', loss: 'output', output: 'output', seed: 'seed', images: 'trainLimit',
    trainLimit: 'trainLimit', optimizer: 'optimizer', wd: 'weightDecay', 'weight-decay': 'weightDecay',
    weightDecay: 'weightDecay', dropout: 'dropout', 'label-smoothing': 'labelSmoothing', labelSmoothing: 'labelSmoothing',
    schedule: 'schedule', warmup: 'warmupEpochs',
    warmupEpochs: 'warmupEpochs', 'step-epochs': 'stepEpochs', stepEpochs: 'stepEpochs', 'step-gamma': 'stepGamma',
    stepGamma: 'stepGamma', scaling: 'scaling',
  };
  const raw: Partial<Record<SettingName, string>> = {};
  for (const [key, value] of query) {
    if (!Object.hasOwn(aliases, key)) continue;
    const name = aliases[key];
    raw[name] = name === 'output' ? outputFromLossName(value) : value;
  }
  return raw;
}

/** The text a form field shows for a setting. */
export function formatSetting(settings: TrainingSettings, name: SettingName): string {
  const value = settings[name];
  if (name === 'trainLimit' && value === 0) return 'all';
  return Array.isArray(value) ? value.join(',') : String(value);
}
