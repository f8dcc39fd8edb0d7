// One source of truth for the defaults and the limits: the C++ (cpp/core/trainer.h, network.h) hands them over
// through the module (limits(), defaults()); web/src/engine/defaults.js, which the CLI, the page and the embed read
// before any module loads, must hold the same, in every build; and each door refuses just past a limit and takes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  ADAM_LEARNING_RATE, COMMON_OPTIONS, DEFAULT_LABEL_SMOOTHING, DEFAULT_LEARNING_RATES, DEFAULT_MODEL, DEFAULT_RUN, EngineError, LIMITS, RUN_LIMITS, defaultOptionsFor,
  loadNodeEngine,
} from '../../web/src/engine/node.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

for (const flavor of ['simd', 'scalar', 'simd-threads']) {
  test(`the ${flavor} build's limits and defaults are defaults.js's`, async () => {
    const engine = await loadNodeEngine(flavor);
    assert.deepEqual(engine.limits(), { ...LIMITS });
    const defaults = engine.defaults();
    assert.deepEqual(defaults.model, { ...DEFAULT_MODEL, sizes: [...DEFAULT_MODEL.sizes] });
    assert.deepEqual(defaults.options, { ...COMMON_OPTIONS });
    assert.deepEqual(defaults.learningRates, { ...DEFAULT_LEARNING_RATES });
    assert.equal(defaults.adamLearningRate, ADAM_LEARNING_RATE);
    assert.deepEqual(defaults.labelSmoothing, { ...DEFAULT_LABEL_SMOOTHING });
    engine.dispose();
  });
}

test('the engine takes each limit and refuses just past it', async () => {
  const engine = await loadNodeEngine('simd');
  const refused = (call, pattern) => assert.throws(call, (error) => error instanceof EngineError && pattern.test(error.message));
  engine.createModel({ sizes: [4, LIMITS.layerSize, 2] });
  refused(() => engine.createModel({ sizes: [4, LIMITS.layerSize + 1, 2] }), new RegExp(`from 1 to ${LIMITS.layerSize}`));
  engine.createModel({ sizes: [4, ...Array(LIMITS.hiddenLayers).fill(3), 2] });
  refused(() => engine.createModel({ sizes: [4, ...Array(LIMITS.hiddenLayers + 1).fill(3), 2] }), /too many layers/);
  refused(() => engine.createModel({ sizes: [LIMITS.layerSize, LIMITS.layerSize, 2] }), new RegExp(`${LIMITS.parameters}`));
  const options = defaultOptionsFor('sigmoid-l2');
  engine.setOptions({ ...options, batchSize: LIMITS.batchSize, learningRate: LIMITS.learningRate, dropout: LIMITS.dropout });
  refused(() => engine.setOptions({ batchSize: LIMITS.batchSize + 1 }), new RegExp(`from 1 to ${LIMITS.batchSize}`));
  refused(() => engine.setOptions({ learningRate: LIMITS.learningRate * 1.001 }), new RegExp(`at most ${LIMITS.learningRate}`));
  refused(() => engine.setOptions({ dropout: LIMITS.dropout + 0.01 }), new RegExp(`0 to ${LIMITS.dropout}`));
  refused(() => engine.setOptions({ warmupBatches: LIMITS.scheduleBatches + 1 }), new RegExp(`${LIMITS.scheduleBatches}`));
  refused(() => engine.train(LIMITS.trainBatches + 1), new RegExp(`${LIMITS.trainBatches}`));
  refused(() => engine.createModel({ seed: LIMITS.seed + 1 }), new RegExp(`${LIMITS.seed}`));
  engine.dispose();
});

test('the CLI reads the same limits and defaults: its usage text and its refusals', () => {
  const train = (...args) => spawnSync(process.execPath, [`${ROOT}scripts/train.mjs`, ...args], { encoding: 'utf8' });
  const help = train('--help').stdout;
  assert.match(help, new RegExp(`--epochs N +epochs to train, 1\\.\\.${RUN_LIMITS.epochs} \\(default ${DEFAULT_RUN.epochs}\\)`));
  assert.match(help, new RegExp(`--batch N +mini-batch size, 1\\.\\.${LIMITS.batchSize} \\(default ${COMMON_OPTIONS.batchSize}\\)`));
  assert.match(help, new RegExp(`--step-every EPOCHS step schedule: epochs between decays \\(default ${DEFAULT_RUN.stepEpochs}\\)`));
  assert.match(help, new RegExp(`\\(default ${DEFAULT_LABEL_SMOOTHING['sigmoid-l2']} for l2, ${DEFAULT_LABEL_SMOOTHING['softmax-xent']} for xent\\)`));
  for (const [args, message] of [
    [['--hidden', String(LIMITS.layerSize + 1)], `--hidden sizes must be whole numbers from 1 to ${LIMITS.layerSize}`],
    [['--hidden', Array(LIMITS.hiddenLayers + 1).fill(8).join(',')], `--hidden takes at most ${LIMITS.hiddenLayers} layers`],
    [['--lr', String(LIMITS.learningRate + 1)], `--lr must be a number from 1e-9 to ${LIMITS.learningRate}`],
    [['--batch', String(LIMITS.batchSize + 1)], `--batch must be a whole number from 1 to ${LIMITS.batchSize}`],
    [['--epochs', String(RUN_LIMITS.epochs + 1)], `--epochs must be a whole number from 1 to ${RUN_LIMITS.epochs}`],
    [['--dropout', '0.95'], `--dropout must be a number from 0 to ${LIMITS.dropout}`],
  ]) {
    const result = train(...args);
    assert.equal(result.status, 2, args.join(' '));
    assert.ok(result.stderr.startsWith(`error: ${message}`), result.stderr.split('\n')[0]);
  }
});
