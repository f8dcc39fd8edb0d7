// The command line never loses a finished run and never leaves a temporary file: --save is checked before any
// training, a failed or interrupted save cleans up after itself and names the path the user gave; bad --data,
// MODEL and --load paths say what they are; names that are Object.prototype keys are not flag values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNodeEngine } from '../../web/src/engine/node.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'scratchnet-cli-save-'));
const TINY = ['--limit', '200', '--test-limit', '100', '--epochs', '1', '--hidden', '16'];

function run(script, args) {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', script), ...args], { encoding: 'utf8', cwd: work });
  return { code: result.status, signal: result.signal, out: result.stdout, err: result.stderr };
}

/** Temporary files (NAME.tmp-PID) anywhere under a folder. */
function temporaries(folder) {
  return readdirSync(folder, { recursive: true }).filter((name) => /\.tmp-\d+$/.test(name));
}

/** A folder this process cannot create files in: a read-only one, or (as root, who may write anywhere else) /sys. */
function unwritableFolder() {
  const folder = mkdtempSync(join(work, 'read-only-'));
  chmodSync(folder, 0o555);
  try {
    writeFileSync(join(folder, 'probe'), '');
  } catch {
    return folder;
  }
  rmSync(join(folder, 'probe'));
  return '/sys';
}

/** Asserts that a model file loads into the engine. */
async function assertLoadable(path) {
  const engine = await loadNodeEngine('simd');
  const info = engine.loadModel(new Uint8Array(readFileSync(path)));
  assert.deepEqual(info.sizes.slice(1), [16, 10]);
}

test('--save that cannot be written is a usage error before any training, naming the path given', () => {
  const folder = mkdtempSync(join(work, 'bad-save-'));
  const cases = [
    ['', /--save needs a file name, not ''/],
    [join(folder, 'missing', 'model.bin'), /the folder .*missing does not exist/],
    [folder, /that is a folder; give a file name/],
    [`${folder}/`, /names a folder; give a file name/],
    [join('/etc/passwd', 'model.bin'), /\/etc\/passwd is not a folder/],
    [join(unwritableFolder(), 'model.bin'), /cannot write in the folder .*\(permission denied\)/],
    ['/dev/null', /not a regular file/],
  ];
  for (const [path, pattern] of cases) {
    const result = run('train.mjs', [...TINY, '--save', path]);
    assert.equal(result.code, 2, `--save '${path}': exit code (${result.err})`);
    assert.match(result.err, pattern, `--save '${path}'`);
    if (path) assert.ok(result.err.includes(`--save ${path}`), `the message names '${path}' as given: ${result.err.split('\n')[0]}`);
    assert.doesNotMatch(result.err, /\.tmp-\d+/, 'the temporary file is not what the user gave');
    assert.doesNotMatch(result.out, /^epoch /m, 'refused before training');
  }
  assert.deepEqual(temporaries(folder), []);
});

test('a good --save writes a model that loads, replacing an old file, and leaves no temporary file', async () => {
  const folder = mkdtempSync(join(work, 'good-save-'));
  const model = join(folder, 'model.bin');
  writeFileSync(model, 'an older file');
  const result = run('train.mjs', [...TINY, '--save', model, '--save-state']);
  assert.equal(result.code, 0, result.err);
  assert.match(result.out, new RegExp(`saved the model to ${model}\\n`));
  await assertLoadable(model);
  assert.deepEqual(readdirSync(folder), ['model.bin']);
  const relative = run('train.mjs', [...TINY, '--save', 'relative.bin']);
  assert.equal(relative.code, 0, relative.err);
  assert.match(relative.out, /saved the model to relative\.bin\n/);
  await assertLoadable(join(work, 'relative.bin'));
});

/** Starts a long run; resolves with the child once its first epoch line is out. */
function startLongRun(args) {
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'train.mjs'), '--limit', '2000', '--test-limit', '100', '--epochs', '1000',
    '--hidden', '16', ...args], { cwd: work });
  const output = { out: '', err: '' };
  child.stdout.on('data', (chunk) => { output.out += chunk; });
  child.stderr.on('data', (chunk) => { output.err += chunk; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, ...output })));
  const started = new Promise((resolve, reject) => {
    child.stdout.on('data', () => { if (/^epoch 1\//m.test(output.out)) resolve(); });
    exited.then((result) => reject(new Error(`the run ended before its first epoch: ${result.err}`)));
  });
  return { child, started, exited };
}

test('Ctrl-C, even twice, and a kill save the model and leave no temporary file', async () => {
  const folder = mkdtempSync(join(work, 'interrupt-'));
  const model = join(folder, 'model.bin');
  const { child, started, exited } = startLongRun(['--save', model]);
  await started;
  child.kill('SIGINT');
  child.kill('SIGINT'); // a second Ctrl-C must not cut the save short
  const result = await exited;
  assert.equal(result.code, 130, `exit ${result.code} (signal ${result.signal}): ${result.err}`);
  assert.match(result.err, /interrupted in epoch \d+/);
  assert.match(result.out, /saved the model to .*model\.bin \(interrupted\)/);
  await assertLoadable(model);
  assert.deepEqual(readdirSync(folder), ['model.bin']);

  // A kill (SIGTERM: a CI timeout, a process manager) is an interruption too, not a lost run.
  const killed = join(folder, 'killed.bin');
  const second = startLongRun(['--save', killed]);
  await second.started;
  second.child.kill('SIGTERM');
  const terminated = await second.exited;
  assert.equal(terminated.code, 143, `exit ${terminated.code} (signal ${terminated.signal}): ${terminated.err}`);
  assert.match(terminated.out, /saved the model to .*killed\.bin \(interrupted\)/);
  await assertLoadable(killed);
  assert.deepEqual(readdirSync(folder).sort(), ['killed.bin', 'model.bin']);
});

test('a save that fails at the end (the path became a folder) removes its temporary file and names the path given', async () => {
  const folder = mkdtempSync(join(work, 'late-failure-'));
  const model = join(folder, 'model.bin');
  const { child, started, exited } = startLongRun(['--save', model]);
  await started;
  mkdirSync(model);
  writeFileSync(join(model, 'something'), 'in the way');
  child.kill('SIGINT');
  const result = await exited;
  assert.equal(result.code, 1, `exit ${result.code}: ${result.err}`);
  assert.match(result.err, new RegExp(`could not save ${model}: it is a folder`));
  assert.doesNotMatch(result.err, /\.tmp-\d+/);
  assert.deepEqual(temporaries(folder), []);
});

test('--data, MODEL and --load name what is wrong with the path: not a folder, missing, a folder, lacking files', () => {
  const passwd = run('train.mjs', [...TINY, '--data', '/etc/passwd']);
  assert.equal(passwd.code, 1);
  assert.match(passwd.err, /data folder \/etc\/passwd is not a folder \(it is a file\)/);
  const missing = run('train.mjs', [...TINY, '--data', join(work, 'no-such-folder')]);
  assert.match(missing.err, /data folder .*no-such-folder does not exist/);
  const partial = mkdtempSync(join(work, 'partial-'));
  writeFileSync(join(partial, 'train-images-idx3-ubyte'), '');
  const lacking = run('train.mjs', [...TINY, '--data', partial]);
  assert.match(lacking.err, /lacks train-labels-idx1-ubyte\[\.gz\], t10k-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\]/);
  assert.doesNotMatch(lacking.err, /lacks train-images/);

  const evalFolder = run('eval.mjs', [work]);
  assert.equal(evalFolder.code, 2);
  assert.match(evalFolder.err, /that is a folder, not a model file/);
  const loadFolder = run('train.mjs', [...TINY, '--load', work]);
  assert.equal(loadFolder.code, 2);
  assert.match(loadFolder.err, /--load .*: that is a folder, not a model file/);
});

test('names that are Object.prototype keys are refused as flag values', () => {
  for (const [flag, name] of [['--loss', 'constructor'], ['--loss', '__proto__'], ['--optimizer', 'toString'], ['--schedule', 'constructor'],
    ['--scaling', 'hasOwnProperty'], ['--engine', 'constructor'], ['--engine', '__proto__']]) {
    const result = run('train.mjs', [...TINY, flag, name]);
    assert.equal(result.code, 2, `${flag} ${name}: ${result.err}`);
    assert.match(result.err, new RegExp(`${flag} must be .*not '${name}'`));
  }
});
