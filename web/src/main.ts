// Entry point of the full page: the trainer's markup in the document, configured by the URL.
import './styles.css';
import './page.css';
import uPlot from 'uplot';
import { App } from './app/app';
import { parseEngineChoice, parseSettings, SETTING_NAMES, settingsFromQuery, type SettingName } from './app/settings';
import { trainerMarkup } from './app/template';
import { DEFAULT_DATASET, classNames, parseDatasetChoice } from './data/datasets';
import { MistakesView } from './page/mistakes-view';
import { addChartExports, addOnnxExport } from './page/exports';
import { RunRecorder } from './page/run-record';
import { addRunLegend, runOverlays } from './page/run-overlays';
import { settingsLabel } from './page/settings-label';
import { foldSettingsOnPhone } from './page/phone-settings';
import { queryWithSettings } from './page/url-settings';

const query = new URLSearchParams(location.search);
function datasetFromQuery() {
  const text = query.get('dataset');
  const choice = parseDatasetChoice(text);
  if (text !== null && !choice) console.warn(`scratchnet: ignoring dataset="${text}" (must be mnist, fashion-mnist or own); using ${DEFAULT_DATASET}`);
  return choice ?? DEFAULT_DATASET;
}

const engine = parseEngineChoice(query.get('engine'));
if (engine.warning) console.warn(engine.warning);

const main = document.createElement('main');
main.innerHTML = trainerMarkup();
document.body.prepend(main);

// Why the tiles look like noise at first: the page has room to say it (the embed keeps its payload).
document.getElementById('weights-panel')!.append(Object.assign(document.createElement('p'), {
  className: 'panel-note',
  textContent: 'Early on, and in a wide layer (2048 units), each unit stays near its random start and its tile looks like ' +
    'noise; a narrow layer (try 64) shows strokes within an epoch.',
}));

const form = document.getElementById('settings') as HTMLFormElement;
const phoneSettings = foldSettingsOnPhone(form, () => settingsLabel(form));
const record = new RunRecorder();
const chartExports = addChartExports(document.getElementById('charts-panel')!, record);
const overlays = runOverlays(record);
const runLegend = addRunLegend(document.getElementById('charts-panel')!, record, overlays.redraw);
const mistakes = new MistakesView(document.getElementById('predictions-panel')!, (count) => app.trainer.mistakes(count));
/** the classes' names of the set the engine holds, as the page's state attributes say */
const names = () => classNames(parseDatasetChoice(document.body.dataset.dataset) ?? DEFAULT_DATASET, Number(document.body.dataset.classes ?? 0));

const app = new App({
  root: document,
  stateTarget: document.body,
  settings: settingsFromQuery(query),
  dataset: datasetFromQuery(),
  dataBase: document.baseURI,
  dataUrl: query.has('data') ? new URL(query.get('data')!, document.baseURI).href : undefined,
  engine: engine.engine,
  autostart: query.has('autostart'),
  onDatasetChosen: (choice) => {
    const url = new URL(location.href);
    url.searchParams.delete('data'); // it named the first set's folder
    if (choice === DEFAULT_DATASET) url.searchParams.delete('dataset');
    else url.searchParams.set('dataset', choice);
    history.replaceState(history.state, '', url);
    mistakes.reset();
  },
  plotter: { Plot: uPlot, loss: [overlays.loss], accuracy: [overlays.accuracy] },
  onEvent: (event) => {
    if (event.type === 'state') phoneSettings.update(); // the form may have been filled (suggestions, a loaded model)
    mistakes.onEvent(event, names);
    // a new run turns the last one into an overlay; an epoch's end brings a test-loss point
    const started = record.onEvent(event, () => settingsLabel(form));
    if (started) runLegend.update();
    if (started || event.type === 'epoch') overlays.redraw();
    if (event.type === 'batches' || event.type === 'epoch') chartExports.update();
  },
});
void app.run();
phoneSettings.update();

// The URL follows the settings (replaceState, no history entry per keystroke): a link reproduces the run.
form.addEventListener('input', followSettings);
form.addEventListener('change', followSettings);
function followSettings(): void {
  const raw: Partial<Record<SettingName, string>> = {};
  for (const name of SETTING_NAMES) raw[name] = (form.elements.namedItem(name) as HTMLInputElement).value;
  const parsed = parseSettings(raw);
  if (!parsed.ok) return; // a refused value stays out of the link until it is fixed
  const url = new URL(location.href);
  url.search = queryWithSettings(url.searchParams, parsed.settings).toString();
  if (url.href !== location.href) history.replaceState(history.state, '', url);
}

addOnnxExport(document.getElementById('download-model') as HTMLButtonElement, () => app.trainer, (text, error = false) => {
  const message = document.getElementById('model-message')!;
  message.textContent = text;
  message.classList.toggle('error', error);
});
