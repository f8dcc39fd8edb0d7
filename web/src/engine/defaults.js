// The engine's defaults and limits, for code that needs them before (or without) loading the module: the CLI's
// flags, the page's settings form and URL, the embed's attributes. The engine's C++ is their source (trainer.h,
// network.h), handed over by the module's limits() and defaults(); tests/node/limits.test.mjs holds these figures
// to the module's, so that the two cannot part. No imports: the page loads this without the engine.

/** What the engine accepts at most (cpp/core/network.h, trainer.h): Engine#limits() reads them from the module. */
export const LIMITS = Object.freeze({
  /** units in any layer: input, hidden or output */
  layerSize: 16384,
  hiddenLayers: 7,
  /** weights and biases of a network in all */
  parameters: 25165824,
  batchSize: 4096,
  /** the base learning rate: above 0, at most this */
  learningRate: 1000,
  dropout: 0.9,
  seed: 4294967295,
  /** batches in one train() call */
  trainBatches: 1000000,
  /** warm-up, a cosine's length, a step's interval, in batches */
  scheduleBatches: 100000000,
});

/**
 * The default network: the original numpy model, 784 -> 2048 -> ReLU -> 10 -> sigmoid, L2 loss, for MNIST; for
 * another set the input and output sizes are its own (createModel). Input scaling chosen for the set ('auto').
 */
export const DEFAULT_MODEL = Object.freeze({ sizes: Object.freeze([784, 2048, 10]), output: 'sigmoid-l2', seed: 1, scaling: 'auto' });
export const DEFAULT_HIDDEN = Object.freeze(DEFAULT_MODEL.sizes.slice(1, -1));

/** The training options but the learning rate and the label smoothing (cpp/core/trainer.h: TrainOptions). */
export const COMMON_OPTIONS = Object.freeze({
  batchSize: 64, momentum: 0.9, optimizer: 'sgd', weightDecay: 0, dropout: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
  schedule: 'constant', warmupBatches: 0, scheduleBatches: 0, stepBatches: 0, stepGamma: 0.1,
});
/** Per output and loss, SGD's learning rates that learn with the default network, constant or under the cosine
 * schedule (docs/training.md). */
export const DEFAULT_LEARNING_RATES = Object.freeze({ 'sigmoid-l2': 2, 'softmax-xent': 0.1 });
/** Adam's rate is the same for both losses: it follows the gradient's sign and scale, not its size. */
export const ADAM_LEARNING_RATE = 0.001;
/** Per output and loss, the label smoothing that learns best with the default network (docs/training.md): sigmoid
 * outputs pulled toward 0.1 and 0.9 rather than 0 and 1; none for softmax + cross-entropy, not tried there. */
export const DEFAULT_LABEL_SMOOTHING = Object.freeze({ 'sigmoid-l2': 0.2, 'softmax-xent': 0 });
/** The training defaults for the default output, sigmoid + L2. */
export const DEFAULT_OPTIONS = Object.freeze({
  ...COMMON_OPTIONS, learningRate: DEFAULT_LEARNING_RATES['sigmoid-l2'], labelSmoothing: DEFAULT_LABEL_SMOOTHING['sigmoid-l2'],
});

/**
 * A run whose length is known (the CLI and the page), in epochs. Its schedule: the rate falls by cosine to 0 at the
 * run's end, which learnt Fashion-MNIST a point better than a constant rate (docs/training.md); the engine's own
 * default stays 'constant', since a cosine needs the run's length (scheduleBatches).
 */
export const DEFAULT_RUN = Object.freeze({ epochs: 5, schedule: 'cosine', warmupEpochs: 0, stepEpochs: 2, stepGamma: 0.1 });
/** The longest run the CLI and the page take, in epochs (also for warm-up and the step schedule's interval). */
export const RUN_LIMITS = Object.freeze({ epochs: 1000 });
export const DEFAULT_RUN_SCHEDULE = DEFAULT_RUN.schedule;
