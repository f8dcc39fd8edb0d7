// Tests of which served files a run fetches: the prepared subset when it holds enough training images.
import { describe, expect, it } from 'vitest';
import { IDX_FILE_NAMES, covers, planFiles, type DataManifest } from '../../web/src/data/served-files';

const MANIFEST: DataManifest = {
  subsets: [{ images: 10000, trainImages: 'train-10k-images-idx3-ubyte.gz', trainLabels: 'train-10k-labels-idx1-ubyte.gz' }],
  gzippedBytes: {
    'train-images-idx3-ubyte.gz': 9612640, 'train-labels-idx1-ubyte.gz': 28246,
    't10k-images-idx3-ubyte.gz': 1598236, 't10k-labels-idx1-ubyte.gz': 4210,
    'train-10k-images-idx3-ubyte.gz': 1606518, 'train-10k-labels-idx1-ubyte.gz': 4681,
  },
};

describe('planFiles', () => {
  it('takes the subset for a run on no more images than it holds, with the full test files', () => {
    for (const limit of [1, 2000, 10000]) {
      const plan = planFiles(MANIFEST, limit);
      expect(plan.names).toEqual({ ...IDX_FILE_NAMES, trainImages: 'train-10k-images-idx3-ubyte.gz', trainLabels: 'train-10k-labels-idx1-ubyte.gz' });
      expect(plan.images).toBe(10000);
      expect(plan.bytes).toBe(1606518 + 4681 + 1598236 + 4210);
    }
  });

  it('takes the full files for all images (0) or more than the subset holds', () => {
    for (const limit of [0, 10001, 60000]) {
      const plan = planFiles(MANIFEST, limit);
      expect(plan.names).toEqual(IDX_FILE_NAMES);
      expect(plan.images).toBe(0);
      expect(plan.bytes).toBe(9612640 + 28246 + 1598236 + 4210);
    }
  });

  it('picks the smallest subset that fits', () => {
    const two: DataManifest = { subsets: [
      { images: 20000, trainImages: 'a20', trainLabels: 'b20' }, { images: 5000, trainImages: 'a5', trainLabels: 'b5' },
    ] };
    expect(planFiles(two, 4000).names.trainImages).toBe('a5');
    expect(planFiles(two, 6000).names.trainImages).toBe('a20');
  });

  it('without a manifest (a `data` folder of four files): the full files, size unknown', () => {
    expect(planFiles(null, 1000)).toEqual({ names: IDX_FILE_NAMES, images: 0, bytes: null });
  });
});

describe('covers', () => {
  it('the full set serves every run; a subset only runs on no more images than it holds', () => {
    expect(covers(0, 0)).toBe(true);
    expect(covers(0, 500)).toBe(true);
    expect(covers(10000, 10000)).toBe(true);
    expect(covers(10000, 10001)).toBe(false);
    expect(covers(10000, 0)).toBe(false);
  });
});
