// The confusion matrix: rows are true classes, columns the network's answers. Up to TABLE_MAX_CLASSES it is a
// real table, each cell shaded by its share of the row, with a last column of each class's accuracy; past
// that, numbers would be unreadable, so it is a heat map (a canvas, one square a cell) in a scroll container,
// whose cell under the pointer is spelled out beneath. Built once per class count, then updated. In a narrow
// panel (a phone) the table drops its accuracy column for a line of per-class accuracies beneath, so it fits.
import { element, resolveColor, setText } from './dom';

/** Past this many classes the table's numbers no longer fit: a heat map instead. */
export const TABLE_MAX_CLASSES = 20;
/** Heat-map square sides, in CSS pixels: as large as fits a panel, never smaller than this. */
const HEAT_CELL_MIN = 3;
const HEAT_SIDE = 320;

export class ConfusionView {
  private readonly wrapper: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly note: HTMLElement;
  private readonly hover = element('p', 'confusion-view-hover');
  /** the accuracy column as a line, which the stylesheet shows in place of the column in a narrow panel */
  private readonly accuracyLine = element('p', 'confusion-view-accuracy');
  /** classes × classes count cells, row-major like the matrix (table mode) */
  private cells: HTMLTableCellElement[] = [];
  private accuracyCells: HTMLTableCellElement[] = [];
  private heatMap: HTMLCanvasElement | null = null;
  private classes = 0;
  private names: readonly string[] = [];
  private last: number[] | null = null;

  constructor(host: HTMLElement) {
    host.classList.add('confusion-view');
    this.wrapper = document.createElement('div');
    this.wrapper.className = 'confusion-scroll';
    // a heat map may scroll; focusable so a keyboard can scroll it too (a group, not a second landmark)
    this.wrapper.tabIndex = 0;
    this.wrapper.setAttribute('role', 'group');
    this.wrapper.setAttribute('aria-label', 'Confusion matrix table');
    // outside the table so it wraps to the panel's width, not the (possibly scrolling) table's
    this.summary = document.createElement('p');
    this.summary.className = 'confusion-view-summary';
    this.summary.textContent = 'No test results yet.';
    this.note = document.createElement('p');
    this.note.className = 'confusion-view-note';
    this.hover.hidden = true;
    this.hover.setAttribute('aria-live', 'polite');
    this.wrapper.hidden = true; // an empty grid of dashes says nothing; it appears with the first results
    this.accuracyLine.hidden = true;
    host.replaceChildren(this.summary, this.note, this.wrapper, this.accuracyLine, this.hover);
    this.setClassNames(Array.from({ length: 10 }, (_, label) => String(label)));
  }

  /** The name of each class (the label number where a set has no names); a new set starts with no results. */
  setClassNames(names: readonly string[]): void {
    this.names = names;
    this.last = null;
    this.classes = 0;
    this.wrapper.hidden = true;
    this.accuracyLine.hidden = true;
    this.hover.hidden = true;
    setText(this.summary, 'No test results yet.');
  }

  /** `confusion` is classes × classes counts, row = true label, column = predicted label. */
  show(confusion: number[]): void {
    const classes = Math.round(Math.sqrt(confusion.length));
    if (classes * classes !== confusion.length || classes === 0) return;
    this.last = confusion;
    if (classes !== this.classes) this.build(classes);
    this.wrapper.hidden = false;

    let total = 0;
    let correct = 0;
    for (let row = 0; row < classes; row++) {
      for (let column = 0; column < classes; column++) total += confusion[row * classes + column];
      correct += confusion[row * classes + row];
    }
    if (this.heatMap) this.drawHeatMap(confusion, classes);
    else this.fillTable(confusion, classes);
    setText(this.summary, total > 0
      ? `${(100 * correct / total).toFixed(2)} % of ${total.toLocaleString('en-US')} test images right.`
      : 'No test images.');
  }

  private name(label: number): string {
    return this.names[label] ?? String(label);
  }

  private fillTable(confusion: number[], classes: number): void {
    const accuracies: string[] = [];
    for (let row = 0; row < classes; row++) {
      let rowTotal = 0;
      for (let column = 0; column < classes; column++) rowTotal += confusion[row * classes + column];
      const hits = confusion[row * classes + row];
      for (let column = 0; column < classes; column++) {
        const count = confusion[row * classes + column];
        const share = rowTotal > 0 ? count / rowTotal : 0;
        // errors are a few percent of a row at most: a square root keeps them visible without
        // reordering them (the diagonal is linear, as it is close to 100 % anyway)
        const shade = row === column ? share : Math.sqrt(share);
        const cell = this.cells[row * classes + column];
        setText(cell, String(count));
        cell.style.setProperty('--share', shade.toFixed(3));
        cell.classList.toggle('confusion-table-zero', count === 0);
        cell.title = `true ${this.name(row)}, predicted ${this.name(column)}: ${count} (${(100 * share).toFixed(1)} % of ${this.name(row)})`;
      }
      // "100" rather than "100.0" keeps the column four characters wide
      const accuracy = rowTotal === 0 ? '–' : hits === rowTotal ? '100' : (100 * hits / rowTotal).toFixed(1);
      setText(this.accuracyCells[row], accuracy);
      accuracies.push(`${this.name(row)} ${accuracy}${rowTotal ? ' %' : ''}`);
    }
    setText(this.accuracyLine, `Accuracy by class: ${accuracies.join(', ')}.`);
    this.accuracyLine.hidden = false;
  }

  private build(classes: number): void {
    this.classes = classes;
    this.cells = [];
    this.accuracyCells = [];
    this.heatMap = null;
    this.hover.hidden = true;
    this.accuracyLine.hidden = true;
    if (classes > TABLE_MAX_CLASSES) {
      this.buildHeatMap(classes);
      return;
    }
    const named = this.names.some((name, label) => name !== String(label));
    setText(this.note, named
      ? 'Rows: true class. Columns: predicted class, numbered as the rows. Accuracy: the share of each class recognised, in %.'
      : 'Rows: true label. Columns: predicted label. Accuracy: the share of each label recognised, in %.');
    const table = document.createElement('table');
    table.className = 'confusion-table';
    const caption = table.createCaption();
    caption.className = 'confusion-table-caption';
    // for screen readers; the same words are shown above the scrolling area, where they can wrap
    caption.textContent = 'Test images by true class (rows) and predicted class (columns), with accuracy per class';

    const headRow = table.createTHead().insertRow();
    // the corner heads the row-header column: it names both axes, on two short lines to stay narrow
    const corner = header(headRow, '', 'col');
    corner.className = 'confusion-table-corner';
    const predictedHint = document.createElement('span');
    predictedHint.textContent = 'pred. →';
    const trueHint = document.createElement('span');
    trueHint.textContent = 'true ↓';
    // the arrows are for the eye (and hidden in a narrow panel); a screen reader gets the words
    predictedHint.setAttribute('aria-hidden', 'true');
    trueHint.setAttribute('aria-hidden', 'true');
    const spoken = element('span', 'confusion-table-caption');
    spoken.textContent = 'true class by predicted class';
    corner.append(predictedHint, trueHint, spoken);
    for (let column = 0; column < classes; column++) {
      const cell = header(headRow, String(column), 'col');
      if (named) cell.title = this.name(column);
    }
    const accuracyHeader = header(headRow, '', 'col');
    accuracyHeader.className = 'confusion-table-accuracy';
    const abbreviation = document.createElement('abbr');
    abbreviation.title = 'accuracy for this true class, in percent';
    abbreviation.textContent = 'acc.';
    accuracyHeader.append(abbreviation);

    const body = table.createTBody();
    for (let row = 0; row < classes; row++) {
      const tableRow = body.insertRow();
      header(tableRow, named ? `${row} ${this.name(row)}` : this.name(row), 'row');
      for (let column = 0; column < classes; column++) {
        const cell = tableRow.insertCell();
        cell.className = row === column ? 'confusion-table-hit' : 'confusion-table-miss';
        cell.textContent = '–';
        this.cells.push(cell);
      }
      const accuracy = tableRow.insertCell();
      accuracy.className = 'confusion-table-accuracy';
      accuracy.textContent = '–';
      this.accuracyCells.push(accuracy);
    }
    this.wrapper.replaceChildren(table);
  }

  private buildHeatMap(classes: number): void {
    setText(this.note, `${classes} classes: each square is a true class (row) and a predicted class (column), darker for a larger ` +
      'share of the row. Point at a square for its numbers.');
    const canvas = element('canvas', 'confusion-heat-map');
    const cell = Math.max(HEAT_CELL_MIN, Math.floor(HEAT_SIDE / classes));
    canvas.width = classes;
    canvas.height = classes;
    canvas.style.width = `${classes * cell}px`;
    canvas.style.height = `${classes * cell}px`;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `Confusion matrix of ${classes} classes as a heat map`);
    canvas.addEventListener('pointermove', (event) => {
      const row = Math.floor(event.offsetY / cell);
      const column = Math.floor(event.offsetX / cell);
      if (!this.last || row < 0 || column < 0 || row >= classes || column >= classes) return;
      let rowTotal = 0;
      for (let c = 0; c < classes; c++) rowTotal += this.last[row * classes + c];
      const count = this.last[row * classes + column];
      this.hover.hidden = false;
      setText(this.hover, `true ${this.name(row)}, predicted ${this.name(column)}: ${count}` +
        (rowTotal > 0 ? ` (${(100 * count / rowTotal).toFixed(1)} % of ${this.name(row)})` : ''));
    });
    this.heatMap = canvas;
    this.wrapper.replaceChildren(canvas);
  }

  /** Each cell's colour is its share of its row: the hit colour on the diagonal, the miss colour off it. */
  private drawHeatMap(confusion: number[], classes: number): void {
    const canvas = this.heatMap!;
    const context = canvas.getContext('2d');
    if (!context) return;
    const hit = rgb(resolveColor(canvas, 'var(--views-accent)', 'rgb(37, 99, 235)'));
    const miss = rgb(resolveColor(canvas, 'var(--views-warm)', 'rgb(214, 72, 28)'));
    const image = context.createImageData(classes, classes);
    for (let row = 0; row < classes; row++) {
      let rowTotal = 0;
      for (let column = 0; column < classes; column++) rowTotal += confusion[row * classes + column];
      for (let column = 0; column < classes; column++) {
        const share = rowTotal > 0 ? confusion[row * classes + column] / rowTotal : 0;
        const color = row === column ? hit : miss;
        const at = 4 * (row * classes + column);
        image.data.set(color, at);
        image.data[at + 3] = Math.round(255 * (row === column ? share : Math.sqrt(share)));
      }
    }
    context.putImageData(image, 0, 0);
  }
}

function rgb(color: string): [number, number, number] {
  const [r = 0, g = 0, b = 0] = (color.match(/[\d.]+/g) ?? []).map(Number);
  return [r, g, b];
}

function header(row: HTMLTableRowElement, text: string, scope: 'row' | 'col'): HTMLTableCellElement {
  const cell = document.createElement('th');
  cell.scope = scope;
  cell.textContent = text;
  row.append(cell);
  return cell;
}
