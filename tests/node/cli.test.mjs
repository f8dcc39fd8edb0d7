// The headless tools as a user runs them: real processes, real files, exit codes and messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_DATA_DIR } from '../../scripts/lib/mnist-files.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'scratchnet-cli-'));

function run(script, args) {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', script), ...args], { encoding: 'utf8', cwd: work });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

test('train: a short run prints a line per epoch and saves a model that eval reads back', () => {
  const model = join(work, 'model.bin');
  const train = run('train.mjs', ['--epochs', '2', '--limit', '3000', '--test-limit', '1000', '--hidden', '64',
    '--batch', '32', '--lr', '0.1', '--momentum', '0.9', '--loss', 'xent', '--seed', '3', '--save', model]);
  assert.equal(train.code, 0, train.err);
  const epochs = train.out.split('\n').filter((line) => line.startsWith('epoch '));
  assert.equal(epochs.length, 2);
  assert.match(epochs[1], /^epoch 2\/2 {2}train loss \d\.\d+ acc \d+\.\d\d% {2}test loss \d\.\d+ acc \d+\.\d\d% {2}\d+\.\d s {2}[\d,]+ samples\/s$/);
  const testAccuracy = Number(epochs[1].match(/test loss [\d.]+ acc ([\d.]+)%/)[1]);
  assert.ok(testAccuracy > 80, `test accuracy ${testAccuracy}%`);
  assert.ok(existsSync(model));

  const evaluation = run('eval.mjs', [model, '--json']);
  assert.equal(evaluation.code, 0, evaluation.err);
  const result = JSON.parse(evaluation.out);
  assert.deepEqual(result.sizes, [784, 64, 10]);
  assert.equal(result.output, 'softmax-xent');
  assert.equal(result.count, 10000);
  const text = run('eval.mjs', [model]);
  assert.match(text.out, /test accuracy \d+\.\d\d%/);
  assert.equal(text.out.split('\n').filter((line) => /^\d {9}/.test(line)).length, 10, 'ten confusion rows');
});

test('train --json and --data on a folder of uncompressed IDX files, --load continues from a model', () => {
  const folder = mkdtempSync(join(work, 'plain-'));
  for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    writeFileSync(join(folder, name), gunzipSync(readFileSync(join(DEFAULT_DATA_DIR, `${name}.gz`))));
  }
  const model = join(work, 'first.bin');
  const first = run('train.mjs', ['--data', folder, '--epochs', '1', '--limit', '1000', '--test-limit', '500', '--hidden', '32', '--json', '--save', model]);
  assert.equal(first.code, 0, first.err);
  const line = JSON.parse(first.out.split('\n')[0]);
  assert.equal(line.epoch, 1);
  assert.ok(line.testAccuracy > 0.5 && line.testAccuracy <= 1);
  const second = run('train.mjs', ['--data', folder, '--epochs', '1', '--limit', '1000', '--test-limit', '500', '--load', model, '--json']);
  assert.equal(second.code, 0, second.err);
  assert.ok(JSON.parse(second.out.split('\n')[0]).testAccuracy >= line.testAccuracy - 0.02, 'continues from the loaded weights');
});

test('train and eval --engine threads: the two-thread build trains and scores as the one-thread build does, to the bit', () => {
  const args = ['--epochs', '1', '--limit', '2000', '--test-limit', '500', '--hidden', '64', '--json'];
  const runs = {};
  for (const engine of ['simd', 'threads']) {
    const model = join(work, `${engine}.bin`);
    const result = run('train.mjs', [...args, '--engine', engine, '--save', model]);
    assert.equal(result.code, 0, result.err);
    const { trainLoss, trainAccuracy, testLoss, testAccuracy } = JSON.parse(result.out.split('\n')[0]);
    const evaluation = run('eval.mjs', [model, '--engine', engine, '--json']);
    assert.equal(evaluation.code, 0, evaluation.err);
    const { model: path, ...scores } = JSON.parse(evaluation.out);
    assert.equal(path, model);
    runs[engine] = { trainLoss, trainAccuracy, testLoss, testAccuracy, model: readFileSync(model), scores };
  }
  assert.deepEqual(runs.threads, runs.simd);
  assert.ok(runs.simd.testAccuracy > 0.5);
  assert.match(run('train.mjs', ['--epochs', '1', '--limit', '500', '--test-limit', '100', '--hidden', '16', '--engine', 'threads']).out,
    /wasm-simd128 engine on two threads/);
});

test('train --label-smoothing: l2 smooths by default, xent does not, and a loaded model brings its loss\'s defaults', () => {
  const short = ['--epochs', '1', '--limit', '500', '--test-limit', '100', '--hidden', '16'];
  const settings = (result) => {
    assert.equal(result.code, 0, result.err);
    return result.out.split('\n')[1];
  };
  assert.match(settings(run('train.mjs', short)), /, label smoothing 0\.2, batch 64,/);
  assert.match(settings(run('train.mjs', [...short, '--label-smoothing', '0.05'])), /, label smoothing 0\.05, /);
  assert.doesNotMatch(settings(run('train.mjs', [...short, '--label-smoothing', '0'])), /label smoothing/);
  const model = join(work, 'xent.bin');
  assert.doesNotMatch(settings(run('train.mjs', [...short, '--loss', 'xent', '--save', model])), /label smoothing/);
  const loaded = settings(run('train.mjs', [...short.slice(0, 6), '--load', model]));
  assert.doesNotMatch(loaded, /label smoothing/);
  assert.match(loaded, /^sgd \(momentum 0\.9\), learning rate 0\.1,/, 'and its default learning rate (xent\'s, not l2\'s)');
  assert.match(settings(run('train.mjs', [...short.slice(0, 6), '--load', model, '--label-smoothing', '0.1'])), /, label smoothing 0\.1, /);
});

test('bad flags and bad files get a message and a non-zero exit', () => {
  const usage = [
    [['--epochs', '0'], /--epochs must be a whole number from 1/],
    [['--lr', 'fast'], /--lr must be a number/],
    [['--batch', '10000'], /--batch must be a whole number from 1 to 4096/],
    [['--momentum', '1'], /--momentum/],
    [['--label-smoothing', '1'], /--label-smoothing must be a number from 0 to 0.999999/],
    [['--hidden', '64,x'], /--hidden sizes/],
    [['--loss', 'hinge'], /--loss must be l2 or xent/],
    [['--engine', 'gpu'], /--engine/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['--load', join(work, 'nope.bin')], /no file/],
  ];
  for (const [args, pattern] of usage) {
    const result = run('train.mjs', args);
    assert.equal(result.code, 2, `${args.join(' ')}: exit code`);
    assert.match(result.err, pattern);
    assert.match(result.err, /usage: npm run train/);
  }
  const empty = mkdtempSync(join(work, 'empty-'));
  const noData = run('train.mjs', ['--data', empty]);
  assert.equal(noData.code, 1);
  assert.match(noData.err, /lacks train-images-idx3-ubyte/);

  const corrupt = mkdtempSync(join(work, 'corrupt-'));
  for (const name of ['train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    copyFileSync(join(DEFAULT_DATA_DIR, `${name}.gz`), join(corrupt, `${name}.gz`));
  }
  writeFileSync(join(corrupt, 'train-images-idx3-ubyte.gz'), readFileSync(join(DEFAULT_DATA_DIR, 'train-images-idx3-ubyte.gz')).subarray(0, 5000));
  const truncated = run('train.mjs', ['--data', corrupt]);
  assert.equal(truncated.code, 1);
  assert.match(truncated.err, /train-images-idx3-ubyte.gz: the gzip data is corrupt/);

  const garbage = join(work, 'garbage.bin');
  writeFileSync(garbage, 'not a model at all, just some text');
  const badModel = run('eval.mjs', [garbage]);
  assert.equal(badModel.code, 1);
  assert.match(badModel.err, /garbage.bin: model file: not a scratchnet model/);
  const noModel = run('eval.mjs', []);
  assert.equal(noModel.code, 2);
  assert.match(noModel.err, /usage: npm run eval/);
});
