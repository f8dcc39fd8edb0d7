// The one place that knows the trainer is a Web Worker: it starts it and wraps it with Comlink, so the
// rest of the page calls plain async methods and never sees a message.
import * as Comlink from 'comlink';
import type { TrainerApi } from '../worker/protocol';

export type Trainer = Comlink.Remote<TrainerApi>;

export function startTrainer(): { trainer: Trainer; terminate: () => void } {
  const worker = new Worker(new URL('../worker/training.worker.ts', import.meta.url), { type: 'module', name: 'scratchnet-trainer' });
  return { trainer: Comlink.wrap<TrainerApi>(worker), terminate: () => worker.terminate() };
}

/** Wraps a callback so the worker can call it across the thread boundary. */
export const callback = Comlink.proxy;
