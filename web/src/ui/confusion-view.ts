// The confusion matrix as a real table: rows are true digits, columns the network's answers, each cell
// shaded by its share of the row, and a last column with each digit's accuracy. Built once, then updated.
import { setText } from './dom';

const DEFAULT_CLASSES = 10;

export class ConfusionView {
  private readonly wrapper: HTMLElement;
  private readonly summary: HTMLElement;
  /** classes × classes count cells, row-major like the matrix */
  private cells: HTMLTableCellElement[] = [];
  private accuracyCells: HTMLTableCellElement[] = [];
  private classes = 0;

  constructor(host: HTMLElement) {
    host.classList.add('confusion-view');
    this.wrapper = document.createElement('div');
    this.wrapper.className = 'confusion-scroll';
    // it may scroll sideways on a phone; focusable so a keyboard can scroll it too
    this.wrapper.tabIndex = 0;
    this.wrapper.setAttribute('role', 'region');
    this.wrapper.setAttribute('aria-label', 'Confusion matrix');
    // outside the table so it wraps to the panel's width, not the (possibly scrolling) table's
    this.summary = document.createElement('p');
    this.summary.className = 'confusion-view-summary';
    this.summary.textContent = 'No test results yet.';
    const note = document.createElement('p');
    note.className = 'confusion-view-note';
    note.textContent = 'Rows: true digit. Columns: predicted digit. acc.: share of that digit recognised, in %.';
    this.wrapper.hidden = true; // an empty grid of dashes says nothing; it appears with the first results
    host.replaceChildren(this.summary, note, this.wrapper);
    this.build(DEFAULT_CLASSES);
  }

  /** `confusion` is classes × classes counts, row = true label, column = predicted label. */
  show(confusion: number[]): void {
    const classes = Math.round(Math.sqrt(confusion.length));
    if (classes * classes !== confusion.length || classes === 0) return;
    if (classes !== this.classes) this.build(classes);
    this.wrapper.hidden = false;

    let total = 0;
    let correct = 0;
    for (let row = 0; row < classes; row++) {
      let rowTotal = 0;
      for (let column = 0; column < classes; column++) rowTotal += confusion[row * classes + column];
      const hits = confusion[row * classes + row];
      total += rowTotal;
      correct += hits;

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
        cell.title = `true ${row}, predicted ${column}: ${count} (${(100 * share).toFixed(1)} % of ${row}s)`;
      }
      // "100" rather than "100.0" keeps the column four characters wide
      setText(this.accuracyCells[row], rowTotal === 0 ? '–' : hits === rowTotal ? '100' : (100 * hits / rowTotal).toFixed(1));
    }
    setText(this.summary, total > 0
      ? `${(100 * correct / total).toFixed(2)} % of ${total.toLocaleString('en-US')} test images right.`
      : 'No test images.');
  }

  private build(classes: number): void {
    this.classes = classes;
    const table = document.createElement('table');
    table.className = 'confusion-table';
    const caption = table.createCaption();
    caption.className = 'confusion-table-caption';
    // for screen readers; the same words are shown above the scrolling area, where they can wrap
    caption.textContent = 'Test images by true digit (rows) and predicted digit (columns), with accuracy per digit';

    const headRow = table.createTHead().insertRow();
    // the corner heads the row-header column: it names both axes, on two short lines to stay narrow
    const corner = header(headRow, '', 'col');
    corner.className = 'confusion-table-corner';
    const predictedHint = document.createElement('span');
    predictedHint.textContent = 'pred. →';
    const trueHint = document.createElement('span');
    trueHint.textContent = 'true ↓';
    corner.append(predictedHint, trueHint);
    for (let column = 0; column < classes; column++) header(headRow, String(column), 'col');
    const accuracyHeader = header(headRow, '', 'col');
    accuracyHeader.className = 'confusion-table-accuracy';
    const abbreviation = document.createElement('abbr');
    abbreviation.title = 'accuracy for this true digit, in percent';
    abbreviation.textContent = 'acc.';
    accuracyHeader.append(abbreviation);

    const body = table.createTBody();
    this.cells = [];
    this.accuracyCells = [];
    for (let row = 0; row < classes; row++) {
      const tableRow = body.insertRow();
      header(tableRow, String(row), 'row');
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
}

function header(row: HTMLTableRowElement, text: string, scope: 'row' | 'col'): HTMLTableCellElement {
  const cell = document.createElement('th');
  cell.scope = scope;
  cell.textContent = text;
  row.append(cell);
  return cell;
}

