// A horizontal bar with the network's score for each class (ten digits for MNIST), the best one highlighted,
// and its answer: a class only when the network is confident of it, else that it is not sure.
import { topClass } from '../lib/top-class';

const DIGITS = 10; // until the data set says otherwise
const EMPTY_ANSWER = 'No drawing yet.';

/**
 * Scores as shares that sum to 1, for display. With sigmoid outputs (the original model) each score is
 * on its own between 0 and 1 and they need not sum to 1, so they are divided by their sum; softmax
 * outputs already sum to 1 and are unchanged. Negative or non-finite scores count as 0; all zeros stay 0.
 */
export function displayShares(scores: ArrayLike<number>): Float32Array {
  const shares = new Float32Array(scores.length);
  let total = 0;
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!;
    shares[i] = Number.isFinite(score) && score > 0 ? score : 0;
    total += shares[i]!;
  }
  if (total > 0) for (let i = 0; i < shares.length; i++) shares[i] = shares[i]! / total;
  return shares;
}

/**
 * Scores of a network trained with label smoothing ε mapped back onto its labels' 0..1: it aims at the softened
 * targets (1 − ε)·t + floor (floor: ε/2 for sigmoid outputs, ε/classes for softmax), so (score − floor)/(1 − ε),
 * clamped to 0..1, reads a sure answer as one again (0.9 and 0.1 as 1 and 0 for sigmoid outputs at ε = 0.2).
 */
export function unsmoothedScores(scores: ArrayLike<number>, smoothing: number, floor: number): Float32Array {
  const out = Float32Array.from(scores);
  if (!(smoothing > 0 && smoothing < 1)) return out;
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, (out[i]! - floor) / (1 - smoothing)));
  return out;
}

/**
 * The share (and, for sigmoid outputs, the raw score) the top class needs to be named. Below half the network
 * rates its best guess less likely than not (a sigmoid unit under 0.5 says "not this class"): a guess, not an answer.
 */
export const CONFIDENT = 0.5;

/** The class the network names with confidence, or -1 when it is not sure (or has no answer). */
export function confidentClass(scores: ArrayLike<number>, shares = displayShares(scores)): number {
  const top = topClass(scores);
  return top >= 0 && scores[top]! >= CONFIDENT && shares[top]! >= CONFIDENT ? top : -1;
}

/** A share as the text beside its bar: whole percent, with "<1%" so a tiny score is not shown as nothing. */
export function percentText(share: number): string {
  if (share <= 0) return '0%';
  if (share < 0.005) return '<1%';
  return `${Math.round(share * 100)}%`;
}

interface BarRow {
  row: HTMLElement;
  meter: HTMLElement;
  fill: HTMLElement;
  value: HTMLElement;
}

export class ScoreBars {
  private readonly answer: HTMLElement;
  private readonly list: HTMLElement;
  private rows: BarRow[] = [];
  private names: readonly string[] = [];

  constructor(host: HTMLElement) {
    const root = document.createElement('div');
    root.className = 'score-bars';

    this.answer = document.createElement('p');
    this.answer.id = 'draw-answer';
    this.answer.className = 'score-bars__answer';
    // Announced when it changes; show() only touches it when the answer really changes.
    this.answer.setAttribute('aria-live', 'polite');
    this.answer.setAttribute('aria-atomic', 'true');

    this.list = document.createElement('ol');
    this.list.className = 'score-bars__list';
    this.list.setAttribute('aria-label', 'Score for each class');
    root.append(this.answer, this.list);
    host.append(root);
    this.setClassNames(Array.from({ length: DIGITS }, (_, digit) => String(digit)));
  }

  /** One bar for each class, labelled with its name; the bars start empty. */
  setClassNames(names: readonly string[]): void {
    this.names = names;
    this.rows = names.map((name, label) => {
      const row = document.createElement('li');
      row.id = `score-${label}`;
      row.className = 'score-bars__row';
      const text = document.createElement('span');
      text.className = 'score-bars__digit';
      text.textContent = name;
      text.setAttribute('aria-hidden', 'true'); // the meter's label says it
      const meter = document.createElement('div');
      meter.className = 'score-bars__meter';
      meter.setAttribute('role', 'meter');
      meter.setAttribute('aria-label', /^\d+$/.test(name) ? `Digit ${name}` : name);
      meter.setAttribute('aria-valuemin', '0');
      meter.setAttribute('aria-valuemax', '100');
      const fill = document.createElement('div');
      fill.className = 'score-bars__fill';
      meter.append(fill);
      const value = document.createElement('span');
      value.className = 'score-bars__value';
      value.setAttribute('aria-hidden', 'true'); // the meter's aria-valuetext says it
      row.append(text, meter, value);
      return { row, meter, fill, value };
    });
    this.list.replaceChildren(...this.rows.map(({ row }) => row));
    this.show(null);
  }

  /**
   * Shows one score per class (sigmoid or softmax outputs), or clears the bars when given null (and says `empty`).
   * With `smoothing`, the label smoothing the network was trained with and its targets' floor, the scores are read
   * through unsmoothedScores.
   */
  show(raw: Float32Array | null, empty = EMPTY_ANSWER, smoothing?: { smoothing: number; floor: number }): void {
    const classes = this.names.length;
    if (raw && raw.length !== classes) {
      throw new RangeError(`expected ${classes} scores, got ${raw.length}`);
    }
    const scores = raw && smoothing ? unsmoothedScores(raw, smoothing.smoothing, smoothing.floor) : raw;
    const shares = scores ? displayShares(scores) : new Float32Array(classes);
    const top = scores ? confidentClass(scores, shares) : -1;
    this.rows.forEach(({ row, meter, fill, value }, label) => {
      const share = shares[label]!;
      const text = scores ? percentText(share) : '';
      fill.style.width = `${(share * 100).toFixed(1)}%`;
      value.textContent = text;
      meter.setAttribute('aria-valuenow', (share * 100).toFixed(1));
      meter.setAttribute('aria-valuetext', scores ? text : 'no score');
      row.classList.toggle('is-top', label === top);
    });
    const answer = !scores ? empty : top >= 0 ? `The network says: ${this.names[top]}`
      : `The network is not sure (its best guess has ${percentText(Math.max(...shares))})`;
    if (this.answer.textContent !== answer) this.answer.textContent = answer;
  }
}
