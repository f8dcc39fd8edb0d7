// The engine's training options for the form's settings. The form speaks in epochs, the engine's schedule in
// batches on the model's own clock (`step`, the batches it has trained, kept in the model file).
import { scheduleBatches } from '../engine/engine.js';
import type { TrainOptions } from '../wasm/scratchnet-module';
import type { TrainingSettings } from './protocol';

/**
 * For a run of `settings.epochs` epochs over `trainCount` images that starts at the model's `step` (0 for a new
 * model). A continued model keeps its clock: its warm-up is not repeated, a step schedule goes on counting,
 * and a cosine decay is stretched to end with this run.
 */
export function trainOptions(settings: TrainingSettings, { trainCount, step }: { trainCount: number; step: number }): TrainOptions {
  const batchesPerEpoch = Math.max(1, Math.ceil(trainCount / settings.batchSize));
  return {
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    momentum: settings.momentum,
    optimizer: settings.optimizer,
    weightDecay: settings.weightDecay,
    dropout: settings.dropout,
    labelSmoothing: settings.labelSmoothing,
    schedule: settings.schedule,
    ...scheduleBatches(settings, batchesPerEpoch, step),
    stepGamma: settings.stepGamma,
  };
}
