// Finding and reading the four MNIST-format IDX files of a folder, gzipped or not.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** Where `npm run setup` puts MNIST (gzipped), which the web app serves too. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../web/public/data/mnist/', import.meta.url));

export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

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
  if (dir === '') throw new Error('no data folder given (an empty name)');
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

/** The four files of `dir` as uncompressed IDX bytes. */
export function readIdxFolder(dir = DEFAULT_DATA_DIR) {
  const paths = findIdxFiles(dir);
  return Object.fromEntries(Object.entries(paths).map(([key, path]) => [key, readMaybeGzipped(path)]));
}
