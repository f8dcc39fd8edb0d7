// The npm package as a user gets it: `npm pack`, the tarball installed into an empty folder with no network
// (the engine has no runtime dependency, so npm needs nothing from the registry), then a ten-line script, the
// `scratchnet` command and a typed usage file (tests/types/package-usage.ts) run against what was installed.
// Packs the wasm builds as they are (--ignore-scripts: the prepack build is the build step's job, not a test's).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DATA_DIR, findIdxFiles } from '../../scripts/lib/mnist-files.mjs';
import { readModelFile } from '../../web/src/engine/onnx-export.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'scratchnet-package-'));
const project = join(work, 'project');
/** npm as a user runs it, quiet about audits, funding and updates. */
const NPM_ENV = { ...process.env, npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };

function run(command, args, cwd) {
  const start = performance.now();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: NPM_ENV, timeout: 120_000 });
  return { code: result.status, out: result.stdout, err: result.stderr ?? String(result.error), seconds: (performance.now() - start) / 1000 };
}

/** The ten-line script of the issue: import, load MNIST-format files, train, evaluate, save, export. */
const SCRIPT = `import { writeFileSync } from 'node:fs';
import { loadNodeEngine, readIdxFolder } from 'scratchnet/node';
const files = readIdxFolder(process.argv[2]);
const engine = await loadNodeEngine();
engine.loadData('train', files.trainImages, files.trainLabels);
engine.loadData('test', files.testImages, files.testLabels);
engine.createModel({ hidden: [128], output: 'softmax-xent' });
engine.setOptions({ optimizer: 'adam', learningRate: 0.001 });
const { loss, samples } = engine.train(938);
const { accuracy } = engine.evaluate('test');
writeFileSync('model.bin', engine.saveModel());
writeFileSync('model.onnx', await engine.exportOnnx());
console.log(JSON.stringify({ samples, loss, accuracy }));
`;

let packed, install;
before(() => {
  // A missing data set fails here: the test needs MNIST (npm run setup), it does not skip without it.
  findIdxFiles(DEFAULT_DATA_DIR);
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  assert.equal(pack.code, 0, pack.err);
  [packed] = JSON.parse(pack.out);
  packed.path = join(work, packed.filename);
  packed.paths = packed.files.map((file) => file.path);
  writeFileSync(join(work, 'package.json'), '{}\n'); // keeps npm from looking above the temporary folder
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'uses-scratchnet', private: true, type: 'module' })}\n`);
  // --offline: nothing may come from the network, the registry included.
  install = run('npm', ['install', '--offline', packed.path], project);
  assert.equal(install.code, 0, install.err);
  console.log(`# tarball ${packed.filename}: ${(statSync(packed.path).size / 1024).toFixed(0)} KiB packed, ` +
    `${(packed.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${packed.entryCount} files; npm install --offline: ${install.seconds.toFixed(1)} s`);
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball holds the engine, its builds, their types and the command, nothing of the app, and needs no dependency', () => {
  for (const path of [
    'package.json', 'web/src/engine/engine.js', 'web/src/engine/engine.d.ts', 'web/src/engine/node.js', 'web/src/engine/node.d.ts',
    'web/src/engine/onnx-export.js', 'web/src/wasm/scratchnet-module.d.ts',
    ...['simd', 'scalar', 'simd-threads'].flatMap((flavor) => [`web/src/wasm/scratchnet-${flavor}.js`, `web/src/wasm/scratchnet-${flavor}.wasm`]),
    'web/src/wasm/scratchnet-simd-threads.worker.js', 'build/wasm/node/package.json', 'build/wasm/node/scratchnet-simd-threads.js',
    'build/wasm/node/scratchnet-simd-threads.wasm', 'build/wasm/node/scratchnet-simd-threads.worker.js',
    'scripts/scratchnet.mjs', 'scripts/train.mjs', 'scripts/eval.mjs', 'scripts/bench.mjs', 'scripts/export.mjs',
  ]) assert.ok(packed.paths.includes(path), `the tarball lacks ${path}`);
  const strays = packed.paths.filter((path) => /^(web\/src\/(app|ui|worker|embed|data|lib)\/|tests\/|cpp\/|docs\/|web\/public\/)/.test(path));
  assert.deepEqual(strays, []);
  const installed = JSON.parse(readFileSync(join(project, 'node_modules/scratchnet/package.json'), 'utf8'));
  assert.equal(installed.dependencies, undefined, 'the engine needs nothing at run time');
  assert.ok(!installed.private);
  assert.ok(statSync(packed.path).size < 1024 * 1024, `${statSync(packed.path).size} bytes`);
});

test('a ten-line script imports the installed package, trains on MNIST, evaluates, saves and exports ONNX', () => {
  writeFileSync(join(project, 'use.mjs'), SCRIPT);
  assert.equal(SCRIPT.trim().split('\n').length, 13);
  const result = run(process.execPath, ['use.mjs', DEFAULT_DATA_DIR], project);
  assert.equal(result.code, 0, result.err);
  console.log(`# use.mjs printed ${result.out.trim()} in ${result.seconds.toFixed(1)} s`);
  const { samples, loss, accuracy } = JSON.parse(result.out);
  assert.equal(samples, 60000);
  assert.ok(loss > 0 && loss < 0.5, `loss ${loss}`);
  assert.ok(accuracy > 0.93, `accuracy ${accuracy}`); // 95.5% for this seed and build
  const model = readModelFile(new Uint8Array(readFileSync(join(project, 'model.bin'))));
  assert.deepEqual(model.sizes, [784, 128, 10]);
  assert.ok(statSync(join(project, 'model.onnx')).size > 128 * 784 * 4);
});

test('the installed scratchnet command: its usage errors, eval and export of the saved model', () => {
  const bin = join(project, 'node_modules/.bin/scratchnet');
  const none = run(bin, [], project);
  assert.equal(none.code, 2);
  assert.match(none.err, /^error: which command\?\n\nusage: scratchnet COMMAND/);
  const unknown = run(bin, ['fit'], project);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command 'fit'[^]*train {4}train a network/);
  const badFlag = run(bin, ['train', '--epochs', '0'], project);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.err, /^error: --epochs must be a whole number from 1 to \d+, not '0'\n\nusage: scratchnet train \[flags\]/);
  const bench = run(bin, ['bench', '--batches', '0'], project);
  assert.equal(bench.code, 2);
  assert.match(bench.err, /^error: --batches must be a whole number from 1 to \d+, not '0'\n\nusage: scratchnet bench /);
  const help = run(bin, ['export', '--help'], project);
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: scratchnet export MODEL OUT\.onnx/);
  const noData = run(bin, ['eval', 'model.bin'], project);
  assert.equal(noData.code, 1, 'the package has no MNIST of its own');
  assert.match(noData.err, /^error: no MNIST in .*: give --data DIR/);

  const evaluation = run(bin, ['eval', 'model.bin', '--data', DEFAULT_DATA_DIR, '--json'], project);
  assert.equal(evaluation.code, 0, evaluation.err);
  assert.equal(JSON.parse(evaluation.out).count, 10000);
  const exported = run(bin, ['export', 'model.bin', 'again.onnx'], project);
  assert.equal(exported.code, 0, exported.err);
  assert.deepEqual(readFileSync(join(project, 'again.onnx')), readFileSync(join(project, 'model.onnx')), 'the command and exportOnnx write the same file');
});

test('the typed usage file compiles against the installed package (tsc, strict, declarations checked) and runs', () => {
  copyFileSync(join(ROOT, 'tests/types/package-usage.ts'), join(project, 'package-usage.ts'));
  const config = JSON.parse(readFileSync(join(ROOT, 'tests/types/tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, ''));
  config.compilerOptions = { ...config.compilerOptions, noEmit: false, rootDir: '.', outDir: 'compiled' };
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(config));
  const compiled = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], project);
  assert.equal(compiled.code, 0, compiled.out + compiled.err);
  const result = run(process.execPath, ['compiled/package-usage.js', DEFAULT_DATA_DIR], project);
  assert.equal(result.code, 0, result.err);
  assert.equal(JSON.parse(result.out).typesChecked, true);
});
