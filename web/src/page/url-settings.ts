// The page's URL follows its settings (history.replaceState), so a link reproduces a run: each setting under the
// short name the URL parser reads (settings.ts), the defaults left out but for the learning rate and momentum, whose
// defaults depend on the loss and the optimizer, and the label smoothing left out at its loss's default (which the
// parser takes for a loss without one). Pure, so the mapping is unit-tested.
import { DEFAULT_SETTINGS, formatSetting, SETTING_NAMES, type SettingName } from '../app/settings';
import { DEFAULT_LABEL_SMOOTHING } from '../engine/defaults.js';
import type { TrainingSettings } from '../worker/protocol';

/** Each setting's name in the URL: the short ones settingsFromQuery reads. */
export const QUERY_NAMES: Readonly<Record<SettingName, string>> = {
  hidden: 'hidden', learningRate: 'lr', momentum: 'momentum', batchSize: 'batch', epochs: 'epochs', output: 'loss',
  seed: 'seed', trainLimit: 'images', optimizer: 'optimizer', weightDecay: 'wd', dropout: 'dropout',
  labelSmoothing: 'label-smoothing', schedule: 'schedule',
  warmupEpochs: 'warmup', stepEpochs: 'step-epochs', stepGamma: 'step-gamma', scaling: 'scaling',
};
/** Every name the parser takes for a setting (settingsFromQuery's aliases), all replaced by the short one. */
const ALIASES = ['learningRate', 'batchSize', 'output', 'trainLimit', 'weight-decay', 'weightDecay', 'labelSmoothing', 'warmupEpochs', 'stepEpochs', 'stepGamma'];
const ALWAYS: readonly SettingName[] = ['learningRate', 'momentum'];
const LOSS_NAMES: Record<string, string> = { 'sigmoid-l2': 'l2', 'softmax-xent': 'xent' };

/** `query` with the settings in place of any it had; its other parameters (dataset, engine, autostart…) kept. */
export function queryWithSettings(query: URLSearchParams, settings: TrainingSettings): URLSearchParams {
  const next = new URLSearchParams(query);
  for (const name of [...Object.values(QUERY_NAMES), ...ALIASES]) next.delete(name);
  for (const name of SETTING_NAMES) {
    const text = formatSetting(settings, name);
    const fallback = name === 'labelSmoothing' ? String(DEFAULT_LABEL_SMOOTHING[settings.output]) : formatSetting(DEFAULT_SETTINGS, name);
    if (!ALWAYS.includes(name) && text === fallback) continue;
    next.set(QUERY_NAMES[name], name === 'output' ? LOSS_NAMES[text] ?? text : text);
  }
  return next;
}
