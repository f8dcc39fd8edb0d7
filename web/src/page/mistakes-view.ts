// The page's gallery of mistakes: after each epoch it asks the worker to look at the whole test set and shows the
// images the model got wrong with the highest scores, so a run at 98 % still shows what it misses. Page only (the
// embed shows the sample grid alone).
import { DigitGrid } from '../ui/digit-grid';
import type { Mistakes, TrainingEvent } from '../worker/protocol';

const SHOWN = 24;
const WAITING = 'They show after each epoch: the test images the network gets wrong, those it was surest of first.';

export class MistakesView {
  readonly #grid: DigitGrid;
  readonly #host: HTMLElement;
  /** counts requests, so that an answer for an older model does not replace a newer one */
  #request = 0;

  constructor(panel: HTMLElement, private readonly ask: (count: number) => Promise<Mistakes>) {
    const heading = Object.assign(document.createElement('h3'), { className: 'mistakes-heading', textContent: 'Mistakes on the whole test set' });
    this.#host = Object.assign(document.createElement('div'), { id: 'mistakes' });
    panel.append(heading, this.#host);
    this.#grid = new DigitGrid(this.#host);
    this.reset();
  }

  /** No mistakes to show: a new run or a new data set. */
  reset(): void {
    this.#request++;
    delete this.#host.dataset.testWrong;
    this.#grid.show({ pixels: new Uint8Array(), rows: 28, cols: 28, labels: new Uint8Array(), predicted: new Uint8Array() }, WAITING);
  }

  /** `names` gives the classes' names of the set the run is on. */
  onEvent(event: TrainingEvent, names: () => readonly string[]): void {
    if (event.type === 'batches' && event.batchesDone === event.losses.length) this.reset(); // a run's first report
    if (event.type === 'epoch') void this.#show(event.report.epoch, names);
  }

  async #show(epoch: number, names: () => readonly string[]): Promise<void> {
    const request = ++this.#request;
    let found: Mistakes;
    try {
      found = await this.ask(SHOWN);
    } catch {
      return; // the worker is gone or has no model: the page says so elsewhere
    }
    if (request !== this.#request) return;
    const { wrong, tested, shown } = found;
    this.#grid.setClassNames(names());
    const when = epoch > 0 ? `after epoch ${epoch}` : 'for the loaded model';
    const count = shown.labels.length;
    this.#grid.show(shown, `${wrong.toLocaleString('en-US')} of ${tested.toLocaleString('en-US')} test images wrong ${when}` +
      (count ? `; the ${count} the network was surest of, as true → predicted:` : '.'));
    this.#host.dataset.testWrong = String(wrong); // data-wrong is the grid's count of tiles
  }
}
