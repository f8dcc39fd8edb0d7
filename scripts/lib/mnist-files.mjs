// Finding and reading the four MNIST-format IDX files of a folder, gzipped or not.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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
  const bytes = readFileSync(path);
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
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`data folder ${dir} does not exist`);
  const names = new Set(readdirSync(dir));
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
