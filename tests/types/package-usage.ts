// A typed use of the package's whole API, as a TypeScript user writes it. `tsc -p tests/types` (npm run test:web)
// checks it against the declarations (engine.d.ts, node.d.ts, onnx-export.d.ts); tests/node/package.test.mjs
// compiles it against the packed package and runs it, so that the declarations and the code cannot part ways
// unnoticed: a call declared but missing, or a result of another shape, fails one or the other.
//   node package-usage.js DATA_DIR
import {
  ADAM_LEARNING_RATE, DEFAULT_HIDDEN, DEFAULT_MODEL, DEFAULT_OPTIONS, DEFAULT_RUN, DEFAULT_RUN_SCHEDULE, Engine, EngineError, LIMITS,
  RUN_LIMITS, defaultOptionsFor, loadEngine, scheduleBatches, type DataInfo, type Defaults, type Evaluation, type FirstLayerWeights,
  type Limits, type ModelInfo, type TrainSummary,
} from 'scratchnet';
import { IDX_FILES, NODE_THREADS_DIR, WASM_DIR, findIdxFiles, loadNodeEngine, readIdxFolder, wasmPath, type IdxFiles } from 'scratchnet/node';
import { ONNX_OPSET, modelFileToOnnx, readModelFile, type ScratchnetModel } from 'scratchnet/onnx';

declare const process: { argv: string[] };

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`package-usage: ${what}`);
}
/** The keys a result has, beyond those its type declares: the one shape has no `error` field. */
function undeclared(result: object, declared: readonly string[]): string[] {
  return Object.keys(result).filter((key) => !declared.includes(key));
}

const dataDir = process.argv[2];
check(typeof dataDir === 'string', 'give the data folder');
const paths: { trainImages: string } = findIdxFiles(dataDir);
check(paths.trainImages.includes(IDX_FILES.trainImages), 'findIdxFiles names the training images');
const files: IdxFiles = readIdxFolder(dataDir);
check(typeof WASM_DIR === 'string' && typeof NODE_THREADS_DIR === 'string' && wasmPath('scalar').endsWith('.wasm'), 'the build paths');

const engine: Engine = await loadNodeEngine('simd');
check(engine.flavor === 'simd' && engine.threads === 1 && typeof engine.backend === 'string', 'flavor, threads, backend');
check(engine.memoryBytes() > 0, 'memoryBytes');
const limits: Limits = engine.limits();
check(limits.layerSize === LIMITS.layerSize && limits.batchSize === LIMITS.batchSize && RUN_LIMITS.epochs >= DEFAULT_RUN.epochs, 'limits');
const defaults: Defaults = engine.defaults();
check(defaults.learningRates['softmax-xent'] === defaultOptionsFor('softmax-xent').learningRate && defaults.adamLearningRate === ADAM_LEARNING_RATE, 'defaults');
const train: DataInfo = engine.loadData('train', files.trainImages, files.trainLabels, { limit: 10000 });
const test: DataInfo = engine.loadData('test', files.testImages, files.testLabels, { limit: 1000 });
check(train.count === 10000 && test.count === 1000 && train.rows === 28 && train.cols === 28 && train.classes === 10, 'loadData');
check(undeclared(train, ['count', 'rows', 'cols', 'classes']).length === 0, `loadData's result has ${undeclared(train, ['count', 'rows', 'cols', 'classes'])}`);

const model: ModelInfo = engine.createModel({ hidden: [32], output: 'softmax-xent', seed: 3, scaling: 'auto' });
check(model.sizes.join() === '784,32,10' && model.scaling === 'rms' && model.step === 0, 'createModel');
const batchesPerEpoch = Math.ceil(train.count / DEFAULT_OPTIONS.batchSize);
const options: ModelInfo = engine.setOptions({
  ...defaultOptionsFor('softmax-xent'), optimizer: 'adam', learningRate: ADAM_LEARNING_RATE, schedule: DEFAULT_RUN_SCHEDULE,
  ...scheduleBatches({ epochs: 1 }, batchesPerEpoch),
});
check(options.optimizer === 'adam' && options.schedule === 'cosine' && options.scheduleBatches === batchesPerEpoch, 'setOptions');
const summary: TrainSummary = engine.train(batchesPerEpoch);
check(summary.batches === batchesPerEpoch && summary.batchLosses instanceof Float32Array && !summary.diverged, 'train');
check(!('error' in summary), "train's result has no error field");
const evaluation: Evaluation = engine.evaluate('test');
check(evaluation.count === 1000 && evaluation.confusion.length === 100 && evaluation.accuracy > 0.75, `evaluate: ${evaluation.accuracy}`);
check(!('error' in evaluation), "evaluate's result has no error field");
const scores: Float32Array = engine.predict(files.testImages.subarray(16, 16 + 784 * 2));
check(scores.length === 20, 'predict');
const weights: FirstLayerWeights = engine.firstLayerWeights(4);
check(weights.units === 4 && weights.inputs === 784 && weights.weights.length === 4 * 784 && !('error' in weights), 'firstLayerWeights');

const bytes: Uint8Array = engine.saveModel({ optimizerState: true });
const file: ScratchnetModel = readModelFile(bytes);
check(file.sizes.join() === '784,32,10' && file.optimizerState, 'readModelFile');
const onnx: Uint8Array = await engine.exportOnnx();
check(onnx.length > 32 * 784 * 4 && ONNX_OPSET === 13, 'exportOnnx');
check(modelFileToOnnx(engine.saveModel()).length === onnx.length, 'modelFileToOnnx');
const loaded: ModelInfo = engine.loadModel(bytes);
check(loaded.step === batchesPerEpoch, 'loadModel');

// Every failure is an EngineError thrown, never a result to inspect.
for (const refused of [() => engine.train(-1), () => engine.setOptions({ batchSize: 0 }), () => engine.loadModel(new Uint8Array(8)),
  () => engine.createModel({ sizes: [784, 0, 10] }), () => engine.evaluate('train', { limit: -1 })]) {
  let caught: unknown;
  try {
    refused();
  } catch (error) {
    caught = error;
  }
  check(caught instanceof EngineError, `refused with an EngineError, not ${String(caught)}`);
}
engine.dispose();
check(DEFAULT_MODEL.sizes.length === 3 && DEFAULT_HIDDEN[0] === DEFAULT_MODEL.sizes[1], 'the defaults');
const other: Engine = await loadEngine({ flavor: 'scalar', wasmBinary: new Uint8Array(8) }).catch((error: unknown) => {
  check(error instanceof EngineError, 'a wasmBinary that is not WebAssembly is refused');
  return loadNodeEngine('scalar');
});
check(other.flavor === 'scalar', 'the scalar build');
other.dispose();

// What the declarations refuse (each line must stay an error, or tsc fails on the unused directive).
// @ts-expect-error batches is a number
if (false as boolean) engine.train('3');
// @ts-expect-error no such split
if (false as boolean) engine.evaluate('validation');
// @ts-expect-error no such output
if (false as boolean) engine.createModel({ output: 'relu' });
// @ts-expect-error no such flavour
if (false as boolean) await loadNodeEngine('gpu');

console.log(JSON.stringify({ typesChecked: true, accuracy: evaluation.accuracy, onnxBytes: onnx.length }));
