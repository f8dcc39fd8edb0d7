// Tests of telling the reader's IDX files apart (web/src/data/idx-files.ts): headers, names, and the engine's
// refusals with the file names in them.
import { describe, expect, it } from 'vitest';
import { assignIdxFiles, nameFilesInRefusal, readIdxHeader, roleHintsFromName, type CandidateFile } from '../../web/src/data/idx-files';

/** An IDX header of unsigned bytes with these dimensions (and no data after it). */
function header(...dims: number[]): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length);
  bytes[2] = 0x08;
  bytes[3] = dims.length;
  const view = new DataView(bytes.buffer);
  dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim, false));
  return bytes;
}

describe('readIdxHeader', () => {
  it('reads the type and big-endian dimensions', () => {
    expect(readIdxHeader(header(60000, 28, 28))).toEqual({ dataType: 8, dims: [60000, 28, 28] });
    expect(readIdxHeader(header(10000))).toEqual({ dataType: 8, dims: [10000] });
    expect(readIdxHeader(header(70000, 784))).toEqual({ dataType: 8, dims: [70000, 784] });
  });

  it('says null for what is not an IDX header', () => {
    expect(readIdxHeader(new Uint8Array([0x1f, 0x8b, 8, 0]))).toBeNull(); // still gzipped
    expect(readIdxHeader(new TextEncoder().encode('<!doctype html>'))).toBeNull();
    expect(readIdxHeader(new Uint8Array([0, 0, 8]))).toBeNull(); // too short
    expect(readIdxHeader(new Uint8Array([0, 0, 8, 3, 0, 0]))).toBeNull(); // rank 3 but no room for its sizes
    expect(readIdxHeader(new Uint8Array([0, 0, 8, 0]))).toBeNull(); // rank 0
  });

  it('reads a header inside a larger buffer at its own offset', () => {
    const buffer = new Uint8Array(32);
    buffer.set(header(5, 2, 3), 7);
    expect(readIdxHeader(buffer.subarray(7))).toEqual({ dataType: 8, dims: [5, 2, 3] });
  });
});

describe('roleHintsFromName', () => {
  it('reads the usual names', () => {
    expect(roleHintsFromName('train-images-idx3-ubyte.gz')).toEqual({ split: 'train', kind: 'Images' });
    expect(roleHintsFromName('t10k-labels.idx1-ubyte')).toEqual({ split: 'test', kind: 'Labels' });
    expect(roleHintsFromName('emnist-letters-test-images-idx3-ubyte')).toEqual({ split: 'test', kind: 'Images' });
    expect(roleHintsFromName('data.bin')).toEqual({ split: undefined, kind: undefined });
  });
});

describe('assignIdxFiles', () => {
  const mnist: CandidateFile[] = [
    { name: 't10k-labels-idx1-ubyte.gz', header: { dataType: 8, dims: [10000] } },
    { name: 'train-images-idx3-ubyte.gz', header: { dataType: 8, dims: [60000, 28, 28] } },
    { name: 'train-labels-idx1-ubyte.gz', header: { dataType: 8, dims: [60000] } },
    { name: 't10k-images-idx3-ubyte.gz', header: { dataType: 8, dims: [10000, 28, 28] } },
  ];

  it('places MNIST\'s four files by their names, in any order', () => {
    expect(assignIdxFiles(mnist)).toEqual({ roles: { testLabels: 0, trainImages: 1, trainLabels: 2, testImages: 3 }, problems: [] });
  });

  it('tells images from labels by the header, and training from test by the count, when names say nothing', () => {
    const files: CandidateFile[] = [
      { name: 'a', header: { dataType: 8, dims: [500, 8, 8] } },
      { name: 'b', header: { dataType: 8, dims: [100] } },
      { name: 'c', header: { dataType: 8, dims: [100, 8, 8] } },
      { name: 'd', header: { dataType: 8, dims: [500] } },
    ];
    expect(assignIdxFiles(files)).toEqual({ roles: { trainImages: 0, testLabels: 1, testImages: 2, trainLabels: 3 }, problems: [] });
  });

  it('believes the header over the name', () => {
    expect(assignIdxFiles([{ name: 'train-images', header: { dataType: 8, dims: [60000] } }]).roles).toEqual({ trainLabels: 0 });
  });

  it('places a file with a broken header by its name, for the engine to refuse with a reason', () => {
    expect(assignIdxFiles([{ name: 'train-images-idx3-ubyte', header: null }])).toEqual({ roles: { trainImages: 0 }, problems: [] });
  });

  it('says which files it cannot place, and which collide', () => {
    const unknown = assignIdxFiles([{ name: 'notes.txt', header: null }]);
    expect(unknown.roles).toEqual({});
    expect(unknown.problems).toEqual([expect.stringMatching(/^notes\.txt: cannot tell whether it holds images or labels/)]);

    const unsplit = assignIdxFiles([{ name: 'images.idx', header: { dataType: 8, dims: [10, 2, 2] } }]);
    expect(unsplit.problems).toEqual([expect.stringMatching(/^images\.idx: cannot tell whether it is training or test data/)]);

    const twice = assignIdxFiles([mnist[1], { ...mnist[1], name: 'train-images copy.gz' }]);
    expect(twice.roles).toEqual({ trainImages: 0 });
    expect(twice.problems).toEqual(['train-images-idx3-ubyte.gz and train-images copy.gz both look like the training images']);
  });
});

describe('nameFilesInRefusal', () => {
  const names = { trainImages: 'a.gz', trainLabels: 'b.gz', testImages: 'c.gz', testLabels: 'd.gz' };

  it('names the one file the engine refused', () => {
    expect(nameFilesInRefusal('training data: images file: not an IDX file (the magic number must start with two zero bytes, found 0x12 0x34)', names))
      .toBe('a.gz (the training images): not an IDX file (the magic number must start with two zero bytes, found 0x12 0x34)');
    expect(nameFilesInRefusal('test data: labels file: the file is truncated: its header declares 10008 bytes, the file has 5000', names))
      .toBe('d.gz (the test labels): the file is truncated: its header declares 10008 bytes, the file has 5000');
  });

  it('names both files of a split when they disagree', () => {
    expect(nameFilesInRefusal('test data: the images file holds 10000 images but the labels file holds 9000 labels', names))
      .toBe('c.gz and d.gz (the test images and labels): the images file holds 10000 images but the labels file holds 9000 labels');
  });

  it('lists the files for any other message', () => {
    expect(nameFilesInRefusal('out of memory', names)).toBe(
      'out of memory (files: a.gz as the training images, b.gz as the training labels, c.gz as the test images, d.gz as the test labels)');
  });
});
