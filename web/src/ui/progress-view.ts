// Where the run is: epoch, a bar for the current epoch, and while training the speed and the time left; else the
// status's note (paused, done, diverged) in their place.
// Called for every 'batches' event (10-30 a second), so it only touches the DOM when a shown value changes.
import type { TrainingEvent } from '../worker/protocol';
import { element, setText } from './dom';

type BatchesEvent = Extract<TrainingEvent, { type: 'batches' }>;

/** Weight of the newest measurement in the smoothed speeds. */
const SPEED_SMOOTHING = 0.15;
/** A longer silence between events is a pause or a single step, not slow training: it is not measured. */
const MAX_MEASURED_GAP_MS = 2000;

const wholeNumber = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export class ProgressView {
  private readonly epochText: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly speedText: HTMLElement;
  private readonly etaText: HTMLElement;

  private samplesPerSecond = 0;
  private batchesPerSecond = 0;
  private lastEventTime = 0;
  private lastBatchesDone = 0;
  private barMax = -1;
  private barValue = -1;
  /** the status's note under the bar; null while training */
  private note: string | null = '';

  constructor(host: HTMLElement) {
    host.classList.add('progress-view');
    const row = element('div', 'progress-view-row');
    this.epochText = element('span', 'progress-view-epoch', 'progress-epoch');
    this.speedText = element('span', 'progress-view-speed', 'progress-speed');
    row.append(this.epochText, this.speedText);
    this.bar = element('progress', 'progress-view-bar', 'progress-bar');
    this.bar.setAttribute('aria-label', 'Progress through the current epoch');
    this.etaText = element('div', 'progress-view-eta', 'progress-eta');
    host.replaceChildren(row, this.bar, this.etaText);
    this.reset();
    this.setNote('');
  }

  update(event: BatchesEvent): void {
    const { batchesDone, batchesPerEpoch, epochs } = event;
    this.measureSpeed(event);

    // Epoch and position in it come from batchesDone alone, the same count the time left uses; the end
    // of an epoch shows as that epoch full rather than the next one empty.
    const perEpoch = Math.max(1, batchesPerEpoch);
    const epoch = batchesDone === 0 ? 1 : Math.ceil(batchesDone / perEpoch);
    const inEpoch = batchesDone === 0 ? 0 : batchesDone - (epoch - 1) * perEpoch;
    setText(this.epochText, `Epoch ${epoch} of ${epochs}`);
    this.setBar(inEpoch, perEpoch);
    if (this.note !== null) return;

    setText(this.speedText, this.samplesPerSecond > 0 ? `${wholeNumber.format(roundTo3Digits(this.samplesPerSecond))} samples/s` : '');

    const remaining = Math.max(0, epochs * perEpoch - batchesDone);
    if (remaining === 0) setText(this.etaText, 'All epochs done');
    else if (this.batchesPerSecond <= 0) setText(this.etaText, 'Estimating the time left…');
    else setText(this.etaText, timeLeft(remaining / this.batchesPerSecond));
  }

  /**
   * Null while training: speed and time left show from the next report on. Else `note` (paused, done…) takes
   * their place, the bar stays where it got to, and the speeds are measured afresh when training goes on.
   */
  setNote(note: string | null): void {
    this.note = note;
    this.samplesPerSecond = 0;
    this.batchesPerSecond = 0;
    this.lastEventTime = 0;
    setText(this.speedText, '');
    setText(this.etaText, note ?? 'Estimating the time left…');
  }

  /** A new run: nothing done yet. */
  reset(): void {
    this.lastBatchesDone = 0;
    setText(this.epochText, 'Not started');
    this.setBar(0, 1);
  }

  private measureSpeed(event: BatchesEvent): void {
    if (event.samplesPerSecond > 0 && Number.isFinite(event.samplesPerSecond)) {
      this.samplesPerSecond = this.samplesPerSecond === 0
        ? event.samplesPerSecond
        : this.samplesPerSecond + SPEED_SMOOTHING * (event.samplesPerSecond - this.samplesPerSecond);
    }
    // The time left needs batches per second, which the event does not carry: time the events.
    const now = performance.now();
    const elapsedMs = now - this.lastEventTime;
    const batches = event.batchesDone - this.lastBatchesDone;
    if (this.lastEventTime > 0 && batches > 0 && elapsedMs > 0 && elapsedMs <= MAX_MEASURED_GAP_MS) {
      const rate = (1000 * batches) / elapsedMs;
      this.batchesPerSecond = this.batchesPerSecond === 0
        ? rate
        : this.batchesPerSecond + SPEED_SMOOTHING * (rate - this.batchesPerSecond);
    }
    this.lastEventTime = now;
    this.lastBatchesDone = event.batchesDone;
  }

  private setBar(value: number, max: number): void {
    if (max !== this.barMax) {
      this.barMax = max;
      this.bar.max = max;
    }
    if (value !== this.barValue) {
      this.barValue = value;
      this.bar.value = value;
    }
  }
}

/** 12,345 → 12,300: the last digits only flicker. */
function roundTo3Digits(value: number): number {
  if (value < 1000) return Math.round(value);
  const step = 10 ** (Math.floor(Math.log10(value)) - 2);
  return Math.round(value / step) * step;
}

/** Coarse on purpose: a countdown that jumps by a second at every event is noise. */
function timeLeft(seconds: number): string {
  if (seconds < 10) return 'A few seconds left';
  if (seconds < 60) return `About ${Math.round(seconds / 5) * 5} s left`;
  if (seconds < 3600) {
    const minutes = Math.round(seconds / 60);
    return minutes === 1 ? 'About a minute left' : `About ${minutes} min left`;
  }
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds - hours * 3600) / 60);
  return `About ${hours} h ${minutes} min left`;
}
