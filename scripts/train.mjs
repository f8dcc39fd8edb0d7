#!/usr/bin/env node
// npm run train -- [flags]: trains a network on MNIST (or any MNIST-format folder) headless, on the same
// .wasm the browser loads, printing one line per epoch.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ADAM_LEARNING_RATE, DEFAULT_HIDDEN, DEFAULT_MODEL, DEFAULT_RUN, LIMITS, RUN_LIMITS, defaultOptionsFor, scheduleBatches } from '../web/src/engine/engine.js';
import { loadNodeEngine } from '../web/src/engine/node.js';
import { DEFAULT_DATA_DIR, readIdxFolder } from './lib/mnist-files.mjs';
import { UsageError, checkReadableFile, commandLine, checkWritableFile, choiceFlag, engineFlag, numberFlag, parseFlags, runCli, writeFileAtomic } from './lib/cli.mjs';

const SGD_DEFAULTS = defaultOptionsFor('sigmoid-l2');
export const USAGE = `usage: ${commandLine('train')} [flags]

  --epochs N          epochs to train, 1..${RUN_LIMITS.epochs} (default ${DEFAULT_RUN.epochs})
  --batch N           mini-batch size, 1..${LIMITS.batchSize} (default ${SGD_DEFAULTS.batchSize})
  --loss KIND         l2 (sigmoid outputs, mean squared error; default) or xent (softmax, cross-entropy)
  --optimizer KIND    sgd (with momentum; default), adam, or adamw (Adam with decoupled weight decay)
  --lr X              learning rate, above 0, at most ${LIMITS.learningRate} (default: ${defaultOptionsFor('sigmoid-l2').learningRate} for l2, ${defaultOptionsFor('softmax-xent').learningRate} for xent, ${ADAM_LEARNING_RATE} for adam/adamw)
  --momentum X        SGD momentum, 0 (plain SGD) to below 1 (default ${SGD_DEFAULTS.momentum})
  --weight-decay X    L2 penalty (sgd, adam) or decoupled decay (adamw), 0 to below 1 (default 0)
  --dropout X         fraction of hidden units dropped in training, 0 to ${LIMITS.dropout} (default ${SGD_DEFAULTS.dropout})
  --label-smoothing X softened targets, 0 to below 1: (1-X)*one-hot + X/2 for l2's sigmoid outputs, + X/classes
                      for xent (default ${defaultOptionsFor('sigmoid-l2').labelSmoothing} for l2, ${defaultOptionsFor('softmax-xent').labelSmoothing} for xent)
  --schedule KIND     learning rate over the run: cosine (down to 0 at the end; default), constant, step
  --warmup EPOCHS     linear warm-up from 0, in epochs (fractions allowed; default 0)
  --step-every EPOCHS step schedule: epochs between decays (default ${DEFAULT_RUN.stepEpochs})
  --step-gamma X      step schedule: factor at each decay (default ${DEFAULT_RUN.stepGamma})
  --hidden SIZES      hidden layer sizes, comma-separated, e.g. 512,256 (default ${DEFAULT_HIDDEN.join(',')}; at most
                      ${LIMITS.hiddenLayers} layers of 1..${LIMITS.layerSize})
  --scaling KIND      inputs from pixels: auto (default: rms for a set with under a third of its pixels
                      lit, else standard), rms (one factor for all pixels, to MNIST's root mean square; keeps
                      zeros zero), standard (per pixel, centred, to the same), unit (pixel / 255)
  --seed N            seed of the initial weights, the shuffles and dropout (default ${DEFAULT_MODEL.seed})
  --data DIR          folder with the four MNIST-format IDX files, gzipped or not (default: MNIST)
  --limit N           train on the first N training images only
  --test-limit N      test on the first N test images only
  --load FILE         start from a saved model (its layers, loss, scaling and seed) instead of a new one
  --save FILE         save the trained model here (also when interrupted, by Ctrl-C or a kill, or
                      diverged); its folder is checked before training
  --save-state        with --save: also save the optimizer's state, so that --load goes on as if never stopped
  --engine KIND       simd (default), scalar, or threads (SIMD on two threads)
  --json              print one JSON object per epoch instead of text
  -h, --help          this text`;

const FLAGS = {
  epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, momentum: { type: 'string' },
  optimizer: { type: 'string' }, 'weight-decay': { type: 'string' }, dropout: { type: 'string' }, 'label-smoothing': { type: 'string' },
  schedule: { type: 'string' }, warmup: { type: 'string' }, 'step-every': { type: 'string' }, 'step-gamma': { type: 'string' },
  hidden: { type: 'string' }, loss: { type: 'string' }, scaling: { type: 'string' }, seed: { type: 'string' },
  data: { type: 'string' }, limit: { type: 'string' }, 'test-limit': { type: 'string' }, load: { type: 'string' },
  save: { type: 'string' }, 'save-state': { type: 'boolean' }, engine: { type: 'string' }, json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const LOSSES = { l2: 'sigmoid-l2', xent: 'softmax-xent' };
const OPTIMIZERS = ['sgd', 'adam', 'adamw'];
const SCHEDULES = ['constant', 'cosine', 'step'];
const SCALINGS = ['auto', 'rms', 'unit', 'standard'];
/** Flags that describe the model itself: a loaded model brings its own. */
const MODEL_FLAGS = ['hidden', 'loss', 'scaling', 'seed'];
const CHUNK_BATCHES = 100; // batches per call into wasm: between calls Ctrl-C can be heard

function parseHidden(text) {
  if (text === undefined) return [...DEFAULT_HIDDEN];
  if (text.trim() === '' || text.trim() === '0') return []; // no hidden layer: a linear classifier
  const parts = text.split(',');
  if (parts.length > LIMITS.hiddenLayers) throw new UsageError(`--hidden takes at most ${LIMITS.hiddenLayers} layers, not ${parts.length}`);
  return parts.map((part) => {
    const size = Number(part);
    if (!Number.isInteger(size) || size < 1 || size > LIMITS.layerSize)
      throw new UsageError(`--hidden sizes must be whole numbers from 1 to ${LIMITS.layerSize}, not '${part}'`);
    return size;
  });
}

export function parseTrainFlags(args) {
  const { values } = parseFlags(args, FLAGS);
  if (values.help) return { help: true };
  if (values.loss !== undefined && !Object.hasOwn(LOSSES, values.loss)) throw new UsageError(`--loss must be l2 or xent, not '${values.loss}'`);
  if (values.load !== undefined) {
    checkReadableFile(values.load, '--load');
    const conflicting = MODEL_FLAGS.filter((name) => values[name] !== undefined);
    if (conflicting.length)
      throw new UsageError(`${conflicting.map((name) => `--${name}`).join(', ')} cannot be used with --load: the loaded model brings its own (train it further with the training flags)`);
  }
  if (values['save-state'] && values.save === undefined) throw new UsageError('--save-state needs --save FILE');
  // Before any training: a run whose model cannot be saved is a run lost.
  if (values.save !== undefined) checkWritableFile(values.save, '--save');
  const output = LOSSES[values.loss ?? 'l2'];
  const optimizer = choiceFlag(values, 'optimizer', OPTIMIZERS, 'sgd');
  const defaults = defaultOptionsFor(output);
  const schedule = choiceFlag(values, 'schedule', SCHEDULES, DEFAULT_RUN.schedule);
  if (values['step-every'] !== undefined && schedule !== 'step') throw new UsageError('--step-every needs --schedule step');
  if (values['step-gamma'] !== undefined && schedule !== 'step') throw new UsageError('--step-gamma needs --schedule step');
  if (values.momentum !== undefined && optimizer !== 'sgd') throw new UsageError(`--momentum is SGD's; ${optimizer} has its own moments`);
  return {
    epochs: numberFlag(values, 'epochs', DEFAULT_RUN.epochs, { min: 1, max: RUN_LIMITS.epochs, integer: true }),
    options: {
      batchSize: numberFlag(values, 'batch', defaults.batchSize, { min: 1, max: LIMITS.batchSize, integer: true }),
      learningRate: numberFlag(values, 'lr', optimizer === 'sgd' ? defaults.learningRate : ADAM_LEARNING_RATE, { min: 1e-9, max: LIMITS.learningRate }),
      momentum: numberFlag(values, 'momentum', defaults.momentum, { min: 0, max: 0.999999 }),
      optimizer,
      weightDecay: numberFlag(values, 'weight-decay', defaults.weightDecay, { min: 0, max: 0.999999 }),
      dropout: numberFlag(values, 'dropout', defaults.dropout, { min: 0, max: LIMITS.dropout }),
      labelSmoothing: numberFlag(values, 'label-smoothing', defaults.labelSmoothing, { min: 0, max: 0.999999 }),
      schedule,
    },
    warmupEpochs: numberFlag(values, 'warmup', DEFAULT_RUN.warmupEpochs, { min: 0, max: RUN_LIMITS.epochs }),
    stepEveryEpochs: numberFlag(values, 'step-every', DEFAULT_RUN.stepEpochs, { min: 0.001, max: RUN_LIMITS.epochs }),
    stepGamma: numberFlag(values, 'step-gamma', DEFAULT_RUN.stepGamma, { min: 1e-6, max: 1 }),
    hidden: parseHidden(values.hidden),
    output,
    scaling: choiceFlag(values, 'scaling', SCALINGS, DEFAULT_MODEL.scaling),
    seed: numberFlag(values, 'seed', DEFAULT_MODEL.seed, { min: 0, max: LIMITS.seed, integer: true }),
    data: values.data ?? DEFAULT_DATA_DIR,
    limit: numberFlag(values, 'limit', 0, { min: 1, max: 1e9, integer: true }),
    testLimit: numberFlag(values, 'test-limit', 0, { min: 1, max: 1e9, integer: true }),
    load: values.load,
    save: values.save,
    saveState: Boolean(values['save-state']),
    engine: engineFlag(values),
    json: Boolean(values.json),
    given: { optimizer: values.optimizer !== undefined, lr: values.lr !== undefined, labelSmoothing: values['label-smoothing'] !== undefined },
  };
}

/** A float32 from the engine, as the user typed it. */
const num = (x) => Number(x.toPrecision(6));

/** One line saying what will run, as the engine has it. */
function describeRun(o, flags) {
  const rate = o.schedule === 'constant' ? `${num(o.learningRate)}` :
    o.schedule === 'cosine' ? `${num(o.learningRate)}, cosine to 0 by batch ${o.scheduleBatches}` :
    `${num(o.learningRate)}, x${num(o.stepGamma)} every ${o.stepBatches} batches`;
  const parts = [
    `${o.optimizer}${o.optimizer === 'sgd' ? ` (momentum ${num(o.momentum)})` : ''}`,
    `learning rate ${rate}`,
    o.warmupBatches > 0 ? `warm-up ${o.warmupBatches} batches` : '',
    o.weightDecay > 0 ? `weight decay ${num(o.weightDecay)}` : '',
    o.dropout > 0 ? `dropout ${num(o.dropout)}` : '',
    o.labelSmoothing > 0 ? `label smoothing ${num(o.labelSmoothing)}` : '',
    `batch ${o.batchSize}`,
    flags.load ? (o.step > 0 ? `going on from batch ${o.step} of the loaded run` : 'the loaded model with a fresh optimizer state') : `seed ${flags.seed}`,
  ];
  return parts.filter(Boolean).join(', ');
}

const percent = (fraction) => `${(100 * fraction).toFixed(2)}%`;

/** Exit codes of a run stopped by a signal, as a shell reports them. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 };

export async function main(args) {
  // Ctrl-C (or a kill) is heard from the start, so that it can never cut a save short: before training it
  // ends the process at once (no file is open then: the checks and writes are synchronous), during training
  // it stops after the current chunk of batches and saves.
  let interrupted = null, training = false;
  const onSignal = (signal) => {
    if (!training) {
      console.error(`interrupted before training (${signal})`);
      process.exit(SIGNAL_EXIT_CODES[signal]);
    }
    interrupted ??= signal;
  };
  for (const signal of Object.keys(SIGNAL_EXIT_CODES)) process.on(signal, onSignal);

  const flags = parseTrainFlags(args);
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const files = readIdxFolder(flags.data);
  const engine = await loadNodeEngine(flags.engine);
  const train = engine.loadData('train', files.trainImages, files.trainLabels, { limit: flags.limit });
  const test = engine.loadData('test', files.testImages, files.testLabels, { limit: flags.testLimit });
  const model = flags.load
    ? engine.loadModel(new Uint8Array(readFileSync(flags.load)))
    : engine.createModel({ hidden: flags.hidden, output: flags.output, seed: flags.seed, scaling: flags.scaling });
  if (flags.load) {
    // The file brought another optimizer's state: train on with it.
    if (!flags.given.optimizer) flags.options.optimizer = model.optimizer;
    // A loaded model's loss brings its own default rate (SGD's differs by loss) and label smoothing.
    const sgd = flags.options.optimizer === 'sgd';
    if (!flags.given.lr) flags.options.learningRate = sgd ? defaultOptionsFor(model.output).learningRate : ADAM_LEARNING_RATE;
    if (!flags.given.labelSmoothing) flags.options.labelSmoothing = defaultOptionsFor(model.output).labelSmoothing;
  }
  const batchesPerEpoch = Math.ceil(train.count / flags.options.batchSize);
  const run = { epochs: flags.epochs, warmupEpochs: flags.warmupEpochs, stepEpochs: flags.stepEveryEpochs };
  const info = engine.setOptions({ ...flags.options, ...scheduleBatches(run, batchesPerEpoch, model.step), stepGamma: flags.stepGamma });
  if (!flags.json) {
    console.log(`scratchnet: ${model.sizes.join('-')} ${model.output}, ${model.classes} classes, ${model.scaling} scaling, ` +
      `${model.parameters.toLocaleString('en-US')} parameters, ${engine.backend} engine${flags.engine === 'simd-threads' ? ' on two threads' : ''}; ` +
      `${train.count} training / ${test.count} test images of ${train.rows}x${train.cols} from ${flags.data}`);
    console.log(describeRun(info, flags));
  }

  training = true;
  const save = (why) => {
    if (flags.save === undefined) return;
    writeFileAtomic(flags.save, engine.saveModel({ optimizerState: flags.saveState }));
    console.log(`saved the model to ${flags.save}${why ? ` (${why})` : ''}`);
  };

  for (let epoch = 1; epoch <= flags.epochs; epoch++) {
    let samples = 0, lossSum = 0, correct = 0, seconds = 0, done = 0;
    const perEpoch = batchesPerEpoch;
    while (done < perEpoch) {
      let summary;
      try {
        summary = engine.train(Math.min(CHUNK_BATCHES, perEpoch - done));
      } catch (error) {
        if (!error.diverged) throw error;
        console.error(`error: ${error.message}`);
        save('rolled back to the last good state');
        return 1;
      }
      done += summary.batches;
      samples += summary.samples;
      lossSum += summary.loss * summary.samples;
      correct += summary.accuracy * summary.samples;
      seconds += summary.seconds;
      await new Promise((resolve) => setImmediate(resolve)); // lets a Ctrl-C through
      if (interrupted) {
        console.error(`interrupted in epoch ${epoch}`);
        save('interrupted');
        return SIGNAL_EXIT_CODES[interrupted];
      }
    }
    const evaluation = engine.evaluate('test');
    const line = {
      epoch, epochs: flags.epochs,
      trainLoss: lossSum / samples, trainAccuracy: correct / samples,
      testLoss: evaluation.loss, testAccuracy: evaluation.accuracy,
      seconds, samplesPerSecond: samples / seconds, memoryBytes: engine.memoryBytes(),
    };
    if (flags.json) console.log(JSON.stringify(line));
    else {
      console.log(`epoch ${epoch}/${flags.epochs}  train loss ${line.trainLoss.toFixed(5)} acc ${percent(line.trainAccuracy)}  ` +
        `test loss ${line.testLoss.toFixed(5)} acc ${percent(line.testAccuracy)}  ` +
        `${seconds.toFixed(1)} s  ${Math.round(line.samplesPerSecond).toLocaleString('en-US')} samples/s`);
    }
  }
  save();
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runCli(main, USAGE);
