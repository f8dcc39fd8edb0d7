// The training settings: defaults, limits, and validation of what a person typed (or put in the URL).
// Pure functions, so the rules are unit-tested and shared by the form and the URL parser.
import type { OutputLoss } from '../wasm/scratchnet-module';
import type { TrainingSettings } from '../worker/protocol';

export const DEFAULT_SETTINGS: Readonly<TrainingSettings> = Object.freeze({
  hidden: [2048],
  learningRate: 1,
  momentum: 0.9,
  batchSize: 64,
  epochs: 5,
  output: 'sigmoid-l2',
  seed: 1,
  trainLimit: 60000,
});

export type SettingName = keyof TrainingSettings;
export const SETTING_NAMES: readonly SettingName[] = [
  'hidden', 'learningRate', 'momentum', 'batchSize', 'epochs', 'output', 'seed', 'trainLimit',
];

/** Field name → message, for every field that was refused. */
export type SettingErrors = Partial<Record<SettingName, string>>;

/** `settings` holds every accepted field, and the default for each refused one. */
export type ParseResult =
  | { ok: true; settings: TrainingSettings }
  | { ok: false; errors: SettingErrors; settings: TrainingSettings };

const OUTPUTS: readonly OutputLoss[] = ['sigmoid-l2', 'softmax-xent'];
export const LIMITS = {
  hiddenLayers: 7,
  hiddenSize: 4096,
  learningRate: 100,
  batchSize: 4096,
  epochs: 100,
  seed: 4294967295,
  trainImages: 60000,
} as const;

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
    if (size === null) return `sizes must be whole numbers from 1 to ${LIMITS.hiddenSize}, separated by commas`;
    sizes.push(size);
  }
  return sizes;
}

/**
 * Validates raw field texts (from the form or the URL). Missing fields take their defaults.
 * Every refused field gets a message that says what is allowed.
 */
export function parseSettings(raw: Partial<Record<SettingName, string>>): ParseResult {
  const errors: SettingErrors = {};
  const settings: TrainingSettings = { ...DEFAULT_SETTINGS, hidden: [...DEFAULT_SETTINGS.hidden] };
  const numberField = (name: 'learningRate' | 'momentum' | 'batchSize' | 'epochs' | 'seed' | 'trainLimit',
    rule: { integer: boolean; min: number; max: number; }, message: string) => {
    const text = raw[name];
    if (text === undefined) return;
    const value = parseNumber(text, rule);
    if (value === null) errors[name] = message;
    else settings[name] = value;
  };
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
  numberField('trainLimit', { integer: true, min: 100, max: LIMITS.trainImages }, `a whole number from 100 to ${LIMITS.trainImages}`);
  if (raw.output !== undefined) {
    if ((OUTPUTS as readonly string[]).includes(raw.output)) settings.output = raw.output as OutputLoss;
    else errors.output = `one of ${OUTPUTS.join(', ')}`;
  }
  return Object.keys(errors).length ? { ok: false, errors, settings } : { ok: true, settings };
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
    trainLimit: 'trainLimit',
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
  return Array.isArray(value) ? value.join(',') : String(value);
}
