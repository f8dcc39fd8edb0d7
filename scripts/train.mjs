#!/usr/bin/env node
// npm run train -- [flags]: trains a network on MNIST (or any MNIST-format folder) headless, on the same
// .wasm the browser loads, printing one line per epoch.
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DEFAULT_MODEL, DEFAULT_OPTIONS } from '../web/src/engine/engine.js';
import { loadNodeEngine } from './lib/node-engine.mjs';
import { DEFAULT_DATA_DIR, readIdxFolder } from './lib/mnist-files.mjs';
import { UsageError, engineFlag, numberFlag, parseFlags, runCli, writeFileAtomic } from './lib/cli.mjs';

const USAGE = `usage: npm run train -- [flags]

  --epochs N        epochs to train (default 5)
  --batch N         mini-batch size, 1..4096 (default ${DEFAULT_OPTIONS.batchSize})
  --lr X            learning rate, above 0 (default ${DEFAULT_OPTIONS.learningRate})
  --momentum X      SGD momentum, 0 (plain SGD) to below 1 (default ${DEFAULT_OPTIONS.momentum})
  --hidden SIZES    hidden layer sizes, comma-separated, e.g. 512,256 (default ${DEFAULT_MODEL.sizes.slice(1, -1).join(',')})
  --loss KIND       l2 (sigmoid outputs, mean squared error; default) or xent (softmax, cross-entropy)
  --seed N          seed of the initial weights and the shuffles (default ${DEFAULT_MODEL.seed})
  --data DIR        folder with the four MNIST-format IDX files, gzipped or not (default: MNIST)
  --limit N         train on the first N training images only
  --test-limit N    test on the first N test images only
  --load FILE       start from a saved model instead of a new one
  --save FILE       save the trained model here (also when interrupted or diverged)
  --engine KIND     simd (default), scalar, or threads (SIMD on two threads)
  --json            print one JSON object per epoch instead of text
  -h, --help        this text`;

const FLAGS = {
  epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, momentum: { type: 'string' },
  hidden: { type: 'string' }, loss: { type: 'string' }, seed: { type: 'string' }, data: { type: 'string' },
  limit: { type: 'string' }, 'test-limit': { type: 'string' }, load: { type: 'string' }, save: { type: 'string' },
  engine: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
};

const LOSSES = { l2: 'sigmoid-l2', xent: 'softmax-xent' };
const CHUNK_BATCHES = 100; // batches per call into wasm: between calls Ctrl-C can be heard

function parseHidden(text) {
  if (text === undefined) return DEFAULT_MODEL.sizes.slice(1, -1);
  if (text.trim() === '' || text.trim() === '0') return []; // no hidden layer: a linear classifier
  return text.split(',').map((part) => {
    const size = Number(part);
    if (!Number.isInteger(size) || size < 1 || size > 16384) throw new UsageError(`--hidden sizes must be whole numbers from 1 to 16384, not '${part}'`);
    return size;
  });
}

export function parseTrainFlags(args) {
  const { values } = parseFlags(args, FLAGS);
  if (values.help) return { help: true };
  if (values.loss !== undefined && !(values.loss in LOSSES)) throw new UsageError(`--loss must be l2 or xent, not '${values.loss}'`);
  if (values.load !== undefined && !existsSync(values.load)) throw new UsageError(`--load: no file ${values.load}`);
  return {
    epochs: numberFlag(values, 'epochs', 5, { min: 1, max: 1000, integer: true }),
    options: {
      batchSize: numberFlag(values, 'batch', DEFAULT_OPTIONS.batchSize, { min: 1, max: 4096, integer: true }),
      learningRate: numberFlag(values, 'lr', DEFAULT_OPTIONS.learningRate, { min: 1e-9, max: 1000 }),
      momentum: numberFlag(values, 'momentum', DEFAULT_OPTIONS.momentum, { min: 0, max: 0.999999 }),
    },
    hidden: parseHidden(values.hidden),
    output: LOSSES[values.loss ?? 'l2'],
    seed: numberFlag(values, 'seed', DEFAULT_MODEL.seed, { min: 0, max: 4294967295, integer: true }),
    data: values.data ?? DEFAULT_DATA_DIR,
    limit: numberFlag(values, 'limit', 0, { min: 1, max: 1e9, integer: true }),
    testLimit: numberFlag(values, 'test-limit', 0, { min: 1, max: 1e9, integer: true }),
    load: values.load,
    save: values.save,
    engine: engineFlag(values),
    json: Boolean(values.json),
  };
}

const percent = (fraction) => `${(100 * fraction).toFixed(2)}%`;

async function main(args) {
  const flags = parseTrainFlags(args);
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const files = readIdxFolder(flags.data);
  const engine = await loadNodeEngine(flags.engine);
  const train = engine.loadData('train', files.trainImages, files.trainLabels, { limit: flags.limit });
  const test = engine.loadData('test', files.testImages, files.testLabels, { limit: flags.testLimit });
  const inputs = train.rows * train.cols;
  const model = flags.load
    ? engine.loadModel(new Uint8Array(readFileSync(flags.load)))
    : engine.createModel({ sizes: [inputs, ...flags.hidden, 10], output: flags.output, seed: flags.seed });
  engine.setOptions(flags.options);
  if (!flags.json) {
    console.log(`scratchnet: ${model.sizes.join('-')} ${model.output}, ${model.parameters.toLocaleString('en-US')} parameters, ` +
      `${engine.backend} engine${flags.engine === 'simd-threads' ? ' on two threads' : ''}; ${train.count} training / ${test.count} test images from ${flags.data}`);
    console.log(`batch ${flags.options.batchSize}, learning rate ${flags.options.learningRate}, momentum ${flags.options.momentum}, seed ${flags.seed}`);
  }

  let interrupted = false;
  process.once('SIGINT', () => { interrupted = true; });
  const save = (why) => {
    if (!flags.save) return;
    writeFileAtomic(flags.save, engine.saveModel());
    console.log(`saved the model to ${flags.save}${why ? ` (${why})` : ''}`);
  };

  for (let epoch = 1; epoch <= flags.epochs; epoch++) {
    let samples = 0, lossSum = 0, correct = 0, seconds = 0, done = 0, perEpoch = Infinity;
    while (done < perEpoch) {
      let summary;
      try {
        summary = engine.train(Math.min(CHUNK_BATCHES, perEpoch === Infinity ? CHUNK_BATCHES : perEpoch - done));
      } catch (error) {
        if (!error.diverged) throw error;
        console.error(`error: ${error.message}`);
        save('rolled back to the last good state');
        return 1;
      }
      perEpoch = summary.batchesPerEpoch;
      done += summary.batches;
      samples += summary.samples;
      lossSum += summary.loss * summary.samples;
      correct += summary.accuracy * summary.samples;
      seconds += summary.seconds;
      await new Promise((resolve) => setImmediate(resolve)); // lets a Ctrl-C through
      if (interrupted) {
        console.error(`interrupted in epoch ${epoch}`);
        save('interrupted');
        return 130;
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
