// The command-line tools' MNIST: where `npm run setup` puts it, read by the package's IDX reader.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readIdxFolder as readFolder } from '../../web/src/engine/node.js';

export { IDX_FILES, findIdxFiles, readMaybeGzipped } from '../../web/src/engine/node.js';

/** Where `npm run setup` puts MNIST (gzipped), which the web app serves too. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../web/public/data/mnist/', import.meta.url));

/** The four files of `dir` (MNIST when not given) as uncompressed IDX bytes. */
export function readIdxFolder(dir = DEFAULT_DATA_DIR) {
  if (dir === DEFAULT_DATA_DIR && !existsSync(dir))
    throw new Error(`no MNIST in ${dir} (npm run setup puts it there): give --data DIR, a folder with the four MNIST-format files`);
  return readFolder(dir);
}
