// Watches for silence: a watch expires when nothing has touched it for its timeout (a call that never answers,
// training whose progress stopped). Time is counted by the page's own ticks, each worth at most two ticks'
// length, so a laptop that slept or a tab the browser froze does not wake to find every watch expired: only
// time the page ran counts. (A throttled background tab only notices later, never wrongly.)

export interface Watch {
  /** something happened: the silence starts again */
  touch(): void;
  /** stops watching (the call answered, training stopped) */
  end(): void;
}

interface WatchState {
  label: string;
  timeoutMs: number;
  /** silence counted so far */
  silentMs: number;
  /** when it was last touched (or started), on the page's clock */
  touchedAt: number;
}

export class Watchdog {
  readonly #watches = new Set<WatchState>();
  readonly #onExpired: (label: string, timeoutMs: number) => void;
  readonly #tickMs: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lastTick = 0;
  #disposed = false;

  /** `onExpired` is told the label and timeout of a watch that expired; that watch ends. */
  constructor(onExpired: (label: string, timeoutMs: number) => void, { tickMs = 1000 } = {}) {
    this.#onExpired = onExpired;
    this.#tickMs = tickMs;
  }

  watch(label: string, timeoutMs: number): Watch {
    const state: WatchState = { label, timeoutMs, silentMs: 0, touchedAt: Date.now() };
    if (!this.#disposed) {
      this.#watches.add(state);
      this.#schedule();
    }
    return {
      touch: () => {
        state.silentMs = 0;
        state.touchedAt = Date.now();
      },
      end: () => {
        this.#watches.delete(state);
        if (this.#watches.size === 0) this.#stop();
      },
    };
  }

  /** How many watches are running. */
  get size(): number {
    return this.#watches.size;
  }

  /** Ends every watch; no watch starts after this. */
  dispose(): void {
    this.#disposed = true;
    this.#watches.clear();
    this.#stop();
  }

  #schedule(): void {
    if (this.#timer !== null) return;
    this.#lastTick = Date.now();
    this.#timer = setTimeout(() => this.#tick(), this.#tickMs);
  }

  #stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #tick(): void {
    this.#timer = null;
    const now = Date.now();
    const elapsed = Math.max(0, Math.min(now - this.#lastTick, 2 * this.#tickMs));
    const expired: WatchState[] = [];
    for (const state of this.#watches) {
      state.silentMs += Math.max(0, Math.min(elapsed, now - state.touchedAt));
      if (state.silentMs >= state.timeoutMs) expired.push(state);
    }
    for (const state of expired) this.#watches.delete(state);
    if (this.#watches.size > 0) this.#schedule();
    for (const state of expired) this.#onExpired(state.label, state.timeoutMs);
  }
}
