// The 'batches' events of a training run, gathered over the worker's chunks of work and sent at most every
// `intervalMs`: each event redraws the page's progress, and on two threads the page's frames take their time from
// the engine's threads (docs/performance.md).
import type { TrainingEvent } from './protocol';

export type BatchesEvent = Extract<TrainingEvent, { type: 'batches' }>;

/** What one chunk of training did. */
export interface Chunk {
  losses: number[];
  samples: number;
  seconds: number;
  /** the run's batches done after the chunk */
  batchesDone: number;
  epochs: number;
  batchesPerEpoch: number;
}

export class BatchReports {
  readonly #intervalMs: number;
  #gathered: Chunk | null = null;
  #lastSent = -Infinity;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** Adds a chunk to the next event. */
  add(chunk: Chunk): void {
    const gathered = this.#gathered;
    if (!gathered) {
      this.#gathered = { ...chunk, losses: [...chunk.losses] };
      return;
    }
    gathered.losses.push(...chunk.losses);
    gathered.samples += chunk.samples;
    gathered.seconds += chunk.seconds;
    Object.assign(gathered, { batchesDone: chunk.batchesDone, epochs: chunk.epochs, batchesPerEpoch: chunk.batchesPerEpoch });
  }

  /** The event of what was gathered, when `intervalMs` has passed since the last one was taken; else null. */
  takeIfDue(now: number): BatchesEvent | null {
    return now - this.#lastSent >= this.#intervalMs ? this.take(now) : null;
  }

  /** The event of what was gathered (null when nothing was): the caller sends it before any other event. */
  take(now: number): BatchesEvent | null {
    const gathered = this.#gathered;
    if (!gathered) return null;
    this.#gathered = null;
    this.#lastSent = now;
    const { losses, batchesDone, epochs, batchesPerEpoch, samples, seconds } = gathered;
    return { type: 'batches', losses, batchesDone, epochs, batchesPerEpoch, samplesPerSecond: seconds > 0 ? samples / seconds : 0 };
  }
}
