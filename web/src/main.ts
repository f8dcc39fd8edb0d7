// Entry point of the full page: the trainer's markup in the document, configured by the URL.
import './styles.css';
import './page.css';
import { App } from './app/app';
import { parseEngineChoice, settingsFromQuery } from './app/settings';
import { trainerMarkup } from './app/template';
import { DEFAULT_DATASET, classNames, parseDatasetChoice } from './data/datasets';
import { MistakesView } from './page/mistakes-view';

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

const mistakes = new MistakesView(document.getElementById('predictions-panel')!);
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
  onEvent: (event) => mistakes.onEvent(event, names),
});
void app.run();
