// IDX files built in memory for the node tests (the format of MNIST's files: big-endian header, unsigned bytes).
export { seededRandom } from '../../scripts/lib/seeded-random.mjs';

function header(rank, dims, dataBytes) {
  const bytes = new Uint8Array(4 + 4 * rank + dataBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x0800 | rank); // two zero bytes, 0x08 (unsigned bytes), the rank
  dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim));
  return bytes;
}

/** An IDX file of unsigned bytes of any rank: the header for `dims`, then `data`. */
export function idxFile(dims, data) {
  const bytes = header(dims.length, dims, data.length);
  bytes.set(data, 4 + 4 * dims.length);
  return bytes;
}

const clampByte = (value) => Math.max(0, Math.min(255, Math.round(value)));

/** A rank-3 images file, count × rows × cols; pixelFn(index, row, col) gives each pixel (clamped to 0..255). */
export function idxImages(count, rows, cols, pixelFn) {
  const bytes = header(3, [count, rows, cols], count * rows * cols);
  let at = 16;
  for (let i = 0; i < count; ++i) {
    for (let r = 0; r < rows; ++r) for (let c = 0; c < cols; ++c) bytes[at++] = clampByte(pixelFn(i, r, c));
  }
  return bytes;
}

/** A rank-2 images file, count × features; valueFn(index, feature) gives each value (clamped to 0..255). */
export function idxFeatures(count, features, valueFn) {
  const bytes = header(2, [count, features], count * features);
  let at = 12;
  for (let i = 0; i < count; ++i) for (let f = 0; f < features; ++f) bytes[at++] = clampByte(valueFn(i, f));
  return bytes;
}

/** A rank-1 labels file. */
export function idxLabels(labels) {
  const bytes = header(1, [labels.length], labels.length);
  bytes.set(labels, 8);
  return bytes;
}

/** The pixels of an images file without its header (rank 3: 16 bytes; rank 2: 12 bytes). */
export function idxPixels(bytes) {
  return bytes.subarray(4 + 4 * bytes[3]);
}
