// The page's gallery of mistakes: after each epoch the worker looks at the whole test set and sends the images the
// model got wrong with the highest scores, so a run at 98 % still shows what it misses. Page only (the embed shows
// the sample grid alone).
import { DigitGrid } from '../ui/digit-grid';
import type { TrainingEvent } from '../worker/protocol';

const WAITING = 'They show after each epoch: the test images the network gets wrong, those it was surest of first.';

export class MistakesView {
  readonly #grid: DigitGrid;
  readonly #host: HTMLElement;

  constructor(panel: HTMLElement) {
    const heading = Object.assign(document.createElement('h3'), { className: 'mistakes-heading', textContent: 'Mistakes on the whole test set' });
    this.#host = Object.assign(document.createElement('div'), { id: 'mistakes' });
    panel.append(heading, this.#host);
    this.#grid = new DigitGrid(this.#host);
    this.reset();
  }

  /** No mistakes to show: a new run or a new data set. */
  reset(): void {
    delete this.#host.dataset.testWrong;
    this.#grid.show({ pixels: new Uint8Array(), rows: 28, cols: 28, labels: new Uint8Array(), predicted: new Uint8Array() }, WAITING);
  }

  /** `names` gives the classes' names of the set the run is on. */
  onEvent(event: TrainingEvent, names: () => readonly string[]): void {
    if (event.type === 'batches' && event.batchesDone === event.losses.length) this.reset(); // a run's first report
    if (event.type !== 'mistakes') return;
    this.#grid.setClassNames(names());
    const { wrong, tested, epoch, mistakes } = event;
    const when = epoch > 0 ? `after epoch ${epoch}` : 'for the loaded model';
    const shown = mistakes.labels.length;
    this.#grid.show(mistakes, `${wrong.toLocaleString('en-US')} of ${tested.toLocaleString('en-US')} test images wrong ${when}` +
      (shown ? `; the ${shown} the network was surest of, as true → predicted:` : '.'));
    this.#host.dataset.testWrong = String(wrong); // data-wrong is the grid's count of tiles
  }
}
