// Writes the fuzz targets' seed corpus: cpp/fuzz/corpus/idx/ and cpp/fuzz/corpus/model/, a few small valid
// files and a few broken ones of each kind (node cpp/fuzz/make-corpus.mjs). The files are committed; run this
// again only to change them. Model files of versions 1 and 2 are written by hand here, since the engine
// writes only version 3 (docs/model-format.md).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

// --- IDX pairs: byte 0 the sample limit, bytes 1-2 the images file's length (LE), images, then labels.
const be32 = (v) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const idx = (dims, data) => [0, 0, 8, dims.length, ...dims.flatMap(be32), ...data];
const pair = (images, labels, limit = 0) =>
  Buffer.from([limit, images.length & 255, images.length >> 8, ...images, ...labels]);
const pixels = (n) => Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 0 : (i * 53) & 255));

const idxSeeds = {
  'rank3-3x2x3': pair(idx([3, 2, 3], pixels(18)), idx([3], [2, 0, 1])),
  'rank3-limit-2': pair(idx([3, 2, 3], pixels(18)), idx([3], [9, 4, 7]), 2),
  'rank2-4x5': pair(idx([4, 5], pixels(20)), idx([4], [1, 1, 0, 3])),
  'rank3-1x28x28': pair(idx([1, 28, 28], pixels(784)), idx([1], [5])),
  'bad-gzip': pair([0x1f, 0x8b, 8, 0, 0, 0, 0, 0], idx([1], [0])),
  'bad-truncated-images': pair(idx([2, 2, 2], pixels(7)), idx([2], [0, 1])),
  'bad-extra-label': pair(idx([2, 2, 2], pixels(8)), [...idx([2], [0, 1]), 0]),
  'bad-count-mismatch': pair(idx([2, 2, 2], pixels(8)), idx([3], [0, 1, 2])),
  'bad-zero-dimension': pair(idx([2, 0, 2], []), idx([2], [0, 1])),
  'bad-type-int32': pair([0, 0, 0x0c, 3, ...be32(1), ...be32(1), ...be32(1), 0, 0, 0, 1], idx([1], [0])),
  'bad-rank4': pair(idx([1, 1, 1, 2], [3, 4]), idx([1], [0])),
  'bad-too-tall': pair(idx([1, 2000, 1], pixels(2000)), idx([1], [0])),
  'bad-labels-rank2': pair(idx([1, 1, 2], [1, 2]), idx([1, 1], [0])),
  'bad-huge-header': pair([0, 0, 8, 3, ...be32(0xffffffff), ...be32(0xffffffff), ...be32(1)], idx([1], [0])),
};

// --- Model files (little-endian; docs/model-format.md).
function model({ version, output = 0, sizes, rows, cols, scaling = 0, scale, offset, state }) {
  const words = [];
  const u32 = (v) => words.push({ u32: v >>> 0 });
  const f32 = (v) => words.push({ f32: v });
  u32(version);
  u32(output);
  u32(0);  // ReLU
  u32(sizes.length - 1);
  sizes.forEach(u32);
  const inputs = sizes[0];
  if (version >= 2) {
    u32(rows);
    u32(cols);
    u32(scaling);
    for (let k = 0; k < inputs; ++k) f32(scale ? scale(k) : 1 / 255);
    for (let k = 0; k < inputs; ++k) f32(offset ? offset(k) : 0);
  }
  let seed = 1;
  const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  let parameters = 0;
  for (let l = 0; l + 1 < sizes.length; ++l) {
    for (let i = 0; i < sizes[l] * sizes[l + 1]; ++i) f32(next());
    for (let j = 0; j < sizes[l + 1]; ++j) f32(next() / 10);
    parameters += sizes[l] * sizes[l + 1] + sizes[l + 1];
  }
  if (version >= 2) {
    u32(state ? 1 : 0);
    if (state) {
      u32(state.kind);
      u32(state.batches);
      u32(0);  // the batches' high word
      u32(state.seed);
      u32(state.epochs);
      if (version >= 3) {
        u32(state.samplesIntoEpoch ?? 0);
        u32(state.batchesIntoEpoch ?? 0);
        (state.dropout ?? [1, 2, 3, 4]).forEach(u32);
      }
      const floats = parameters * (state.kind === 0 ? 1 : 2);
      for (let i = 0; i < floats; ++i) f32(state.kind !== 0 && i >= floats / 2 ? Math.abs(next()) / 100 : next() / 100);
    }
  }
  const body = Buffer.alloc(4 + 4 * words.length);
  body.write('SNET', 0, 'latin1');
  words.forEach((w, i) => ('u32' in w ? body.writeUInt32LE(w.u32, 4 + 4 * i) : body.writeFloatLE(w.f32, 4 + 4 * i)));
  return seal(body);
}
function seal(body) {
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body) >>> 0);
  return Buffer.concat([body, crc]);
}
const reseal = (file) => seal(file.subarray(0, file.length - 4));

const v3sgd = model({ version: 3, sizes: [4, 3, 2], rows: 2, cols: 2, scaling: 1, scale: () => 0.0131,
  state: { kind: 0, batches: 7, seed: 3, epochs: 1, samplesIntoEpoch: 12, batchesIntoEpoch: 3 } });
const zeroDropout = Buffer.from(v3sgd);
const flagAt = 4 + 4 * (4 + 3) + 12 + 8 * 4 + 4 * (4 * 3 + 3 + 3 * 2 + 2);
zeroDropout.fill(0, flagAt + 4 * 8, flagAt + 4 * 12);

const modelSeeds = {
  'v1-sigmoid-6-2': model({ version: 1, sizes: [6, 2] }),
  'v1-softmax-4-3-2': model({ version: 1, output: 1, sizes: [4, 3, 2] }),
  'v2-unit-4-3-2': model({ version: 2, sizes: [4, 3, 2], rows: 2, cols: 2 }),
  'v2-sgd-state': model({ version: 2, output: 1, sizes: [3, 2, 3], rows: 1, cols: 3,
    state: { kind: 0, batches: 5, seed: 9, epochs: 2 } }),
  'v2-adam-state': model({ version: 2, sizes: [2, 2, 2], rows: 1, cols: 2, state: { kind: 1, batches: 40, seed: 1, epochs: 0 } }),
  'v3-standard-no-state': model({ version: 3, output: 1, sizes: [4, 2], rows: 2, cols: 2, scaling: 2,
    scale: (k) => 0.01 * (k + 1), offset: (k) => -0.3 + 0.1 * k }),
  'v3-sgd-state': v3sgd,
  'v3-adamw-state-deep': model({ version: 3, output: 1, sizes: [2, 3, 3, 2], rows: 1, cols: 2,
    state: { kind: 2, batches: 1000, seed: 77, epochs: 3, dropout: [0x9e3779b9, 0, 0, 1] } }),
  'bad-magic': Buffer.concat([Buffer.from('SNEX'), model({ version: 3, sizes: [2, 2], rows: 1, cols: 2 }).subarray(4)]),
  'bad-version-4': reseal(Buffer.from([...Buffer.from('SNET'), 4, 0, 0, 0, ...model({ version: 3, sizes: [2, 2], rows: 1, cols: 2 }).subarray(8)])),
  'bad-checksum': (() => { const f = Buffer.from(v3sgd); f[40] ^= 1; return f; })(),
  'bad-truncated': v3sgd.subarray(0, v3sgd.length - 9),
  'bad-extra-bytes': seal(Buffer.concat([v3sgd.subarray(0, v3sgd.length - 4), Buffer.alloc(4)])),
  'bad-zero-dropout-state': reseal(zeroDropout),
  'bad-one-class': model({ version: 1, sizes: [3, 1] }),
  'bad-nan-weight': (() => { const f = model({ version: 1, sizes: [2, 2] }); f.writeFloatLE(NaN, 32); return reseal(f); })(),
};

for (const [dir, seeds] of [['idx', idxSeeds], ['model', modelSeeds]]) {
  const out = join(here, 'corpus', dir);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const [name, bytes] of Object.entries(seeds)) writeFileSync(join(out, name), bytes);
}
