// Reading <scratchnet-trainer>'s attributes: every bad value falls back to its default with a console warning.
import { outputFromLossName, type SettingName } from '../app/settings';
import { PANELS, type Panel } from '../app/template';
import { DATASET_CHOICES, DEFAULT_DATASET, type DatasetChoice } from '../data/datasets';
import type { EngineChoice } from '../worker/protocol';

export const DEFAULT_PANELS: readonly Panel[] = ['data', 'controls', 'progress', 'charts', 'predictions'];

/** Attribute → setting (validated later, like the form). Short names as in the page's URL parameters. */
export const SETTING_ATTRIBUTES: Readonly<Record<string, SettingName>> = {
  hidden: 'hidden', 'learning-rate': 'learningRate', lr: 'learningRate', momentum: 'momentum', batch: 'batchSize',
  'batch-size': 'batchSize', epochs: 'epochs', loss: 'output', seed: 'seed', images: 'trainLimit',
  optimizer: 'optimizer', 'weight-decay': 'weightDecay', dropout: 'dropout', 'label-smoothing': 'labelSmoothing', schedule: 'schedule',
  warmup: 'warmupEpochs', 'step-epochs': 'stepEpochs', 'step-gamma': 'stepGamma', scaling: 'scaling',
};

export interface EmbedConfig {
  panels: Set<Panel>;
  settings: Partial<Record<SettingName, string>>;
  dataset: DatasetChoice;
  /** the served sets' folders are relative to this: the script's own folder */
  dataBase: string;
  /** the `data` attribute: a folder that replaces the chosen served set's */
  dataUrl?: string;
  engine: EngineChoice;
  autostart: boolean;
  compact: boolean;
  theme: 'auto' | 'light' | 'dark';
  keepTraining: boolean;
}

function warn(attribute: string, value: string, fallback: string): void {
  console.warn(`scratchnet-trainer: ignoring ${attribute}="${value}"; using ${fallback}`);
}

function oneOf<T extends string>(element: Element, attribute: string, allowed: readonly T[], fallback: T): T {
  const value = element.getAttribute(attribute);
  if (value === null) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  warn(attribute, value, `${fallback} (one of ${allowed.join(', ')})`);
  return fallback;
}

function readPanels(element: Element): Set<Panel> {
  const value = element.getAttribute('panels');
  if (value === null) return new Set(DEFAULT_PANELS);
  const names = value.split(/[\s,]+/).filter(Boolean);
  if (names.length === 1 && names[0] === 'all') return new Set(PANELS);
  const panels = new Set<Panel>();
  for (const name of names) {
    if ((PANELS as readonly string[]).includes(name)) panels.add(name as Panel);
    else warn('panels', name, `no such panel (panels are ${PANELS.join(', ')})`);
  }
  if (panels.size === 0) {
    warn('panels', value, DEFAULT_PANELS.join(' '));
    return new Set(DEFAULT_PANELS);
  }
  return panels;
}

/** `scriptUrl` is the embed script's own URL: the served data sets' folders sit beside it. */
export function readAttributes(element: Element, scriptUrl: string): EmbedConfig {
  const settings: Partial<Record<SettingName, string>> = {};
  for (const [attribute, name] of Object.entries(SETTING_ATTRIBUTES)) {
    const value = element.getAttribute(attribute);
    if (value === null) continue;
    settings[name] = name === 'output' ? outputFromLossName(value) : value;
  }
  const dataset = oneOf<DatasetChoice>(element, 'dataset', DATASET_CHOICES, DEFAULT_DATASET);
  let dataUrl: string | undefined;
  const data = element.getAttribute('data');
  if (data !== null) {
    try {
      dataUrl = new URL(data.endsWith('/') ? data : `${data}/`, document.baseURI).href;
    } catch {
      warn('data', data, `the ${dataset} folder beside the script`);
    }
  }
  return {
    panels: readPanels(element),
    settings,
    dataset,
    dataBase: scriptUrl,
    dataUrl,
    // One thread unless asked: a post is rarely cross-origin isolated, and its page has other work for the cores.
    engine: oneOf<EngineChoice>(element, 'engine', ['auto', 'simd', 'scalar', 'threads'], 'simd'),
    autostart: element.hasAttribute('autostart'),
    compact: element.hasAttribute('compact'),
    theme: oneOf(element, 'theme', ['auto', 'light', 'dark'], 'auto'),
    keepTraining: element.hasAttribute('keep-training'),
  };
}
