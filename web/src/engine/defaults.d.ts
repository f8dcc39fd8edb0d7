// Types of defaults.js: the engine's defaults and limits, without the engine.
import type { ModelConfig, OutputLoss, Schedule, TrainOptions } from '../wasm/scratchnet-module.js';

/** What the engine accepts at most; Engine#limits() gives the module's own, the same. */
export interface Limits {
  /** units in any layer: input, hidden or output */
  layerSize: number;
  hiddenLayers: number;
  /** weights and biases of a network in all */
  parameters: number;
  batchSize: number;
  /** the base learning rate: above 0, at most this */
  learningRate: number;
  dropout: number;
  seed: number;
  /** batches in one train() call */
  trainBatches: number;
  /** warm-up, a cosine's length, a step's interval, in batches */
  scheduleBatches: number;
}
export declare const LIMITS: Readonly<Limits>;

/** The engine's defaults as Engine#defaults() reads them from the module. */
export interface Defaults {
  model: Required<ModelConfig>;
  /** every training option but the learning rate and the label smoothing */
  options: Required<Omit<TrainOptions, 'learningRate' | 'labelSmoothing'>>;
  /** SGD's, per output and loss */
  learningRates: Record<OutputLoss, number>;
  adamLearningRate: number;
  /** per output and loss */
  labelSmoothing: Record<OutputLoss, number>;
}

export declare const DEFAULT_MODEL: Readonly<Required<ModelConfig>>;
export declare const DEFAULT_HIDDEN: readonly number[];
/** The training options but the learning rate and the label smoothing. */
export declare const COMMON_OPTIONS: Readonly<Required<Omit<TrainOptions, 'learningRate' | 'labelSmoothing'>>>;
/** SGD's learning rate that learns with the default network, per output and loss. */
export declare const DEFAULT_LEARNING_RATES: Readonly<Record<OutputLoss, number>>;
/** The label smoothing that learns best with the default network, per output and loss. */
export declare const DEFAULT_LABEL_SMOOTHING: Readonly<Record<OutputLoss, number>>;
export declare const ADAM_LEARNING_RATE: number;
/** The training defaults for sigmoid + L2 (the default output). */
export declare const DEFAULT_OPTIONS: Readonly<Required<TrainOptions>>;

/** A run of the CLI or the page, in epochs. */
export interface RunSettings {
  epochs: number;
  schedule: Schedule;
  warmupEpochs: number;
  stepEpochs: number;
  stepGamma: number;
}
export declare const DEFAULT_RUN: Readonly<RunSettings>;
/** The longest run the CLI and the page take, in epochs (also for warm-up and the step schedule's interval). */
export declare const RUN_LIMITS: Readonly<{ epochs: number }>;
export declare const DEFAULT_RUN_SCHEDULE: Schedule;
