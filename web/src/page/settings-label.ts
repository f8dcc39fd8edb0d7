// The settings of a run in a few words, for the overlays' legend and the CSV: read from the form as it is at Start.
import { parseSettings, SETTING_NAMES, type SettingName } from '../app/settings';

export function settingsLabel(form: HTMLFormElement): string {
  const raw: Partial<Record<SettingName, string>> = {};
  for (const name of SETTING_NAMES) raw[name] = (form.elements.namedItem(name) as HTMLInputElement | null)?.value;
  const { settings: s } = parseSettings(raw);
  const hidden = s.hidden.length ? s.hidden.join('-') : 'no hidden layer';
  const loss = s.output === 'softmax-xent' ? 'xent' : 'L2';
  const images = s.trainLimit ? `, ${s.trainLimit} images` : '';
  return `${hidden}, ${loss}, ${s.optimizer} lr ${s.learningRate}, batch ${s.batchSize}, ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}${images}`;
}
