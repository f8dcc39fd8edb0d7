// The one place that knows the trainer is a Web Worker: it starts it, wraps it with Comlink (once), and watches
// it, so the rest of the page calls plain async methods, never sees a message, and learns plainly when the
// worker is gone: a script that did not load, an `error` or `messageerror` event, a worker that stopped
// running (its Web Lock is released), or a call that never answers.
import * as Comlink from 'comlink';
import type { TrainerApi } from '../worker/protocol';
import { checkFile, fileName } from '../worker/file-check';
import workerUrl from '../worker/training.worker.ts?worker&url';
import { Watchdog, type Watch } from './watchdog';

export type Trainer = Comlink.Remote<TrainerApi>;

/** Generous limits: a worker slower than these is taken for dead. */
export const TIMEOUTS = {
  /** the worker's first answers (its script, then the wasm engine, downloaded and compiled) */
  start: 120_000,
  /** calls that answer at once, or after the training stretch under way (one engine call) */
  quick: 60_000,
  /** reading the reader's own files, which may be large */
  files: 180_000,
  /** training: silence between progress reports (batches, epochs) */
  training: 60_000,
  /** a worker in trouble handing over its model */
  salvage: 5_000,
} as const;

const CALL_TIMEOUTS: Record<keyof TrainerApi, number> = {
  lifeline: TIMEOUTS.start,
  subscribe: TIMEOUTS.start,
  init: TIMEOUTS.start,
  suggestedSettings: TIMEOUTS.quick,
  loadServedData: TIMEOUTS.files,
  addOwnFiles: TIMEOUTS.files,
  loadStoredOwnFiles: TIMEOUTS.files,
  forgetOwnFiles: TIMEOUTS.quick,
  configure: TIMEOUTS.quick,
  start: TIMEOUTS.quick,
  pause: TIMEOUTS.quick,
  resume: TIMEOUTS.quick,
  step: TIMEOUTS.quick,
  predict: TIMEOUTS.quick,
  mistakes: TIMEOUTS.quick,
  saveModel: TIMEOUTS.quick,
  exportOnnx: TIMEOUTS.quick,
  loadModel: TIMEOUTS.quick,
};

/**
 * The worker is gone, or never started. `kind`: 'start' (its script did not load or run), 'engine' (the wasm
 * engine did not load), 'died' (it stopped, crashed, or stopped answering). The message is the page's text.
 */
export class WorkerFailure extends Error {
  /** what went wrong, without the advice (`message` is both) */
  readonly what: string;
  /** what Retry does */
  readonly advice: string;

  constructor(readonly kind: 'start' | 'engine' | 'died', what: string) {
    const advice = kind === 'died' ? 'Retry starts a new one.' : 'Retry starts a new worker and tries again.';
    super(`${what} ${advice}`);
    this.name = 'WorkerFailure';
    this.what = what;
    this.advice = advice;
  }

  static died(reason: string): WorkerFailure {
    return new WorkerFailure('died', `The training worker stopped (${reason}).`);
  }
}

/**
 * A module worker from `url`. Browsers refuse a worker script from another origin, which is where the embed's
 * files live when a post loads them from elsewhere: then a same-origin blob module imports it (the host of the
 * files must allow CORS).
 */
function createWorker(url: URL): Worker {
  const options: WorkerOptions = { type: 'module', name: 'scratchnet-trainer' };
  if (url.origin === location.origin) return new Worker(url, options);
  const bootstrap = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' }));
  return new Worker(bootstrap, options);
}

type Locks = LockManager | undefined;
const pageLocks = (): Locks => (navigator as Navigator & { locks?: LockManager }).locks;

/** One worker and its watch. Start one with `new TrainerConnection(onFailure)`; after a failure, start another. */
export class TrainerConnection {
  /** the worker's API; after a failure every call rejects with the WorkerFailure */
  readonly trainer: Trainer;
  readonly #worker: Worker;
  readonly #remote: Trainer;
  readonly #url: URL;
  readonly #onFailure: (failure: WorkerFailure) => void;
  readonly #watchdog: Watchdog;
  readonly #pending = new Set<(failure: WorkerFailure) => void>();
  readonly #lockWait = new AbortController();
  #failure: WorkerFailure | null = null;
  /** the worker has answered a call: its script runs */
  #answered = false;
  /** it may still answer (an `error` or `messageerror` event, not a dead or silent worker) */
  #mayAnswer = false;
  #terminated = false;

  constructor(onFailure: (failure: WorkerFailure) => void) {
    this.#onFailure = onFailure;
    this.#url = new URL(workerUrl, import.meta.url);
    this.#watchdog = new Watchdog((label, timeoutMs) => {
      this.#fail(WorkerFailure.died(`${label} for ${Math.round(timeoutMs / 1000)} s`), false);
    });
    this.#worker = createWorker(this.#url);
    this.#worker.addEventListener('error', (event) => {
      event.preventDefault(); // handled here: the page says what happened
      if (this.#failure || this.#terminated) return;
      if (!this.#answered) void this.#failedToStart(event);
      else this.#fail(WorkerFailure.died(`an uncaught error: ${(event as ErrorEvent).message || 'no details'}`), true);
    });
    this.#worker.addEventListener('messageerror', () => {
      this.#fail(WorkerFailure.died('a message from it could not be read'), true);
    });
    this.#remote = Comlink.wrap<TrainerApi>(this.#worker);
    const trainer: Record<string, unknown> = {};
    for (const [name, timeoutMs] of Object.entries(CALL_TIMEOUTS) as [keyof TrainerApi, number][]) {
      trainer[name] = (...args: unknown[]) => this.#call(name, timeoutMs, args);
    }
    this.trainer = trainer as unknown as Trainer;
    void this.#watchLife();
  }

  /** The failure, once there is one. */
  get failure(): WorkerFailure | null {
    return this.#failure;
  }

  /**
   * Watches `label` (e.g. "no progress while training"): unless touched within `timeoutMs`, the worker is taken
   * for dead.
   */
  watch(label: string, timeoutMs: number): Watch {
    return this.#watchdog.watch(label, timeoutMs);
  }

  /**
   * After a failure: the model the worker holds, if it can still hand it over (it had an `error` or
   * `messageerror` event but may run on), within a few seconds; else null. Then the worker is stopped.
   */
  async salvageModel(): Promise<Uint8Array | null> {
    if (!this.#failure || !this.#mayAnswer || this.#terminated) {
      this.terminate();
      return null;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        this.#remote.saveModel(),
        new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), TIMEOUTS.salvage); }),
      ]);
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
      this.terminate();
    }
  }

  /** Gives up on this worker with `failure` (its engine did not load): it stops, and the page is told. */
  giveUp(failure: WorkerFailure): void {
    this.#fail(failure, false);
  }

  /** Stops the worker (the element left the page, or a failed one is replaced); pending calls reject. */
  terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#lockWait.abort();
    this.#watchdog.dispose();
    this.#worker.terminate();
    this.#fail(WorkerFailure.died('it was stopped'), false, { silent: true });
  }

  #call(name: keyof TrainerApi, timeoutMs: number, args: unknown[]): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const watch = this.#watchdog.watch(`no answer to ${name}()`, timeoutMs);
      // A callback the worker calls back (progress reports) shows the call is alive.
      const watchedArgs = args.map((arg) => typeof arg === 'function' && Comlink.proxyMarker in arg
        ? Comlink.proxy((...values: unknown[]) => {
          watch.touch();
          return (arg as unknown as (...values: unknown[]) => unknown)(...values);
        })
        : arg);
      const settle = () => {
        watch.end();
        this.#pending.delete(reject);
      };
      this.#pending.add(reject);
      (this.#remote[name] as (...values: unknown[]) => Promise<unknown>)(...watchedArgs).then(
        (value) => {
          this.#answered = true;
          settle();
          resolve(value);
        },
        (error: unknown) => {
          this.#answered = true;
          settle();
          reject(error);
        },
      );
    });
  }

  /**
   * Asks the worker to hold a Web Lock, then waits for that lock: it is granted when the worker is gone (it
   * closed, crashed, or ran out of memory), which fires no event at the Worker.
   */
  async #watchLife(): Promise<void> {
    const locks = pageLocks();
    if (!locks) return;
    const name = `scratchnet-worker-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    try {
      if (!(await this.trainer.lifeline(name))) return;
      await locks.request(name, { signal: this.#lockWait.signal }, () => {
        if (!this.#terminated) this.#fail(WorkerFailure.died('it is no longer running'), false);
      });
    } catch {
      // a failure (the call rejects) or our own terminate() (the wait is aborted): told elsewhere
    }
  }

  /** The worker's script did not load or run: fetch it again to say why. */
  async #failedToStart(event: Event): Promise<void> {
    const name = `the worker script ${fileName(this.#url.href)}`;
    const problem = await checkFile(this.#url.href, { name });
    const detail = (event as ErrorEvent).message;
    this.#fail(new WorkerFailure('start', `Could not load the engine: ${problem ?? `${name} did not start (${detail || 'it or a module it imports did not load'})`}.`), false);
  }

  #fail(failure: WorkerFailure, mayAnswer: boolean, { silent = false } = {}): void {
    if (this.#failure) return;
    this.#failure = failure;
    this.#mayAnswer = mayAnswer;
    this.#watchdog.dispose();
    for (const reject of this.#pending) reject(failure);
    this.#pending.clear();
    if (!mayAnswer && !this.#terminated) this.terminate();
    if (!silent) this.#onFailure(failure);
  }
}

/** Wraps a callback so the worker can call it across the thread boundary. */
export const callback = Comlink.proxy;

/** Hands buffers to the worker instead of copying them (the page's copies become empty). */
export const transfer = Comlink.transfer;
