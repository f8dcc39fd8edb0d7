// The one place that knows the trainer is a Web Worker: it starts it and wraps it with Comlink, so the
// rest of the page calls plain async methods and never sees a message.
import * as Comlink from 'comlink';
import type { TrainerApi } from '../worker/protocol';
import workerUrl from '../worker/training.worker.ts?worker&url';

export type Trainer = Comlink.Remote<TrainerApi>;

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

export function startTrainer(): { trainer: Trainer; terminate: () => void } {
  const worker = createWorker(new URL(workerUrl, import.meta.url));
  return { trainer: Comlink.wrap<TrainerApi>(worker), terminate: () => worker.terminate() };
}

/** Wraps a callback so the worker can call it across the thread boundary. */
export const callback = Comlink.proxy;

/** Hands buffers to the worker instead of copying them (the page's copies become empty). */
export const transfer = Comlink.transfer;
