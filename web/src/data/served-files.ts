// Which of a served set's files a run needs: the prepared subset of the training images (manifest.json, written
// by scripts/prepare-data.mjs) when the run uses no more images than it holds, else the full files. Pure, so it
// is unit-tested.
import type { IdxRole } from './idx-files';

/** The files' names in every served set's folder, as MNIST's own. */
export const IDX_FILE_NAMES: Readonly<Record<IdxRole, string>> = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

/** What a served folder's manifest.json says of its files (a folder without one has only the four). */
export interface DataManifest {
  gzippedBytes?: Record<string, number>;
  subsets?: { images: number; trainImages: string; trainLabels: string }[];
}

export interface FilePlan {
  names: Record<IdxRole, string>;
  /** the training images the files hold: 0 for the whole set */
  images: number;
  /** their gzipped size, when the manifest gives it */
  bytes: number | null;
}

/** The files for a run on the first `trainLimit` training images (0: all of them). */
export function planFiles(manifest: DataManifest | null, trainLimit: number): FilePlan {
  const subset = trainLimit > 0
    ? manifest?.subsets?.filter((s) => s.images >= trainLimit).sort((a, b) => a.images - b.images)[0]
    : undefined;
  const names = { ...IDX_FILE_NAMES, ...(subset && { trainImages: subset.trainImages, trainLabels: subset.trainLabels }) };
  const sizes = Object.values(names).map((name) => manifest?.gzippedBytes?.[name]);
  return {
    names,
    images: subset?.images ?? 0,
    bytes: sizes.every((size) => typeof size === 'number') ? (sizes as number[]).reduce((a, b) => a + b, 0) : null,
  };
}

/** Files holding `loadedImages` training images (0: all) serve a run on the first `trainLimit` (0: all). */
export function covers(loadedImages: number, trainLimit: number): boolean {
  return loadedImages === 0 || (trainLimit > 0 && trainLimit <= loadedImages);
}
