// The engine in Node (`scratchnet/node`): the very .wasm files the browser loads, read from disk and handed over
// as wasmBinary (Emscripten 3.1.6's web glue would otherwise fetch() a file path, which Node rejects), and the
// reader of MNIST-format IDX files. Everything engine.js exports is exported here too.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { loadEngine } from './engine.js';

export * from './engine.js';

/** The browser's builds: scratchnet-{simd,scalar,simd-threads}.{js,wasm}. */
export const WASM_DIR = fileURLToPath(new URL('../wasm/', import.meta.url));

/** Node's pthread build: CommonJS, since Emscripten 3.1.6's ES6 pthread glue does not run in Node. */
export const NODE_THREADS_DIR = fileURLToPath(new URL('../../../build/wasm/node/', import.meta.url));

/** The .wasm file a flavour loads. */
export function wasmPath(flavor) {
  return flavor === 'simd-threads' ? `${NODE_THREADS_DIR}scratchnet-simd-threads.wasm` : `${WASM_DIR}scratchnet-${flavor}.wasm`;
}

/** flavor: 'simd' (the default), 'scalar', or 'simd-threads' (SIMD kernels split across two threads). */
export async function loadNodeEngine(flavor = 'simd') {
  if (flavor !== 'simd' && flavor !== 'scalar' && flavor !== 'simd-threads') return loadEngine({ flavor }); // its EngineError
  const path = wasmPath(flavor);
  if (!existsSync(path)) throw new Error(`${path} is missing: build the engine first (npm run build)`);
  const factory = flavor === 'simd-threads' ? createRequire(import.meta.url)(`${NODE_THREADS_DIR}scratchnet-simd-threads.js`) : undefined;
  return loadEngine({ flavor, wasmBinary: readFileSync(path), factory });
}

/** The four files of an MNIST-format set, by their standard names. */
export const IDX_FILES = Object.freeze({
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
});

/** Some mirrors name the files with a dot before "idx" (train-images.idx3-ubyte). */
function candidates(base) {
  const dotted = base.replace('-idx', '.idx');
  return [base, `${base}.gz`, dotted, `${dotted}.gz`];
}

/** Reads a file, gunzipping it if it starts with the gzip magic. Throws an Error that names the file. */
export function readMaybeGzipped(path) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reasons = { EISDIR: 'it is a folder, not a file', EACCES: 'permission denied', EPERM: 'permission denied' };
    throw new Error(`${path} cannot be read (${reasons[error.code] ?? error.code ?? error.message})`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return new Uint8Array(gunzipSync(bytes));
    } catch (error) {
      throw new Error(`${path}: the gzip data is corrupt (${error.message})`);
    }
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Finds the four files in `dir`; throws an Error listing what is missing. */
export function findIdxFiles(dir) {
  if (typeof dir !== 'string' || dir === '') throw new Error('no data folder given');
  let stats;
  try {
    stats = statSync(dir, { throwIfNoEntry: false });
  } catch (error) {
    if (error.code !== 'ENOTDIR') throw new Error(`data folder ${dir}: ${error.code ?? error.message}`);
  }
  if (!stats) throw new Error(`data folder ${dir} does not exist`);
  if (!stats.isDirectory())
    throw new Error(`data folder ${dir} is not a folder${stats.isFile() ? ' (it is a file)' : ''}: give the folder that holds the four IDX files`);
  let entries;
  try {
    entries = readdirSync(dir);
  } catch (error) {
    throw new Error(`data folder ${dir} cannot be read (${error.code === 'EACCES' || error.code === 'EPERM' ? 'permission denied' : error.code ?? error.message})`);
  }
  const names = new Set(entries);
  const found = {};
  const missing = [];
  for (const [key, base] of Object.entries(IDX_FILES)) {
    const name = candidates(base).find((candidate) => names.has(candidate));
    if (name) found[key] = join(dir, name);
    else missing.push(`${base}[.gz]`);
  }
  if (missing.length) throw new Error(`data folder ${dir} lacks ${missing.join(', ')}`);
  return found;
}

/**
 * The four files of an MNIST-format folder (train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each gzipped or not) as uncompressed IDX bytes, for loadData.
 */
export function readIdxFolder(dir) {
  const paths = findIdxFiles(dir);
  return Object.fromEntries(Object.entries(paths).map(([key, path]) => [key, readMaybeGzipped(path)]));
}
