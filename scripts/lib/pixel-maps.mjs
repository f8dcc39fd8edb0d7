// Data sets made from another by changing every pixel: the benchmark's dense sets, which the tests use too.

/** IDX images with every pixel p turned to pixel(p, i), i its place among the pixels (the header kept). */
export function mapPixels(idx, pixel) {
  const out = idx.slice();
  for (let i = 16; i < out.length; i++) out[i] = pixel(out[i], i - 16);
  return out;
}

/** MNIST-format files ({ trainImages, trainLabels, testImages, testLabels }) with both image files mapped. */
export function withPixels(files, pixel) {
  return { ...files, trainImages: mapPixels(files.trainImages, pixel), testImages: mapPixels(files.testImages, pixel) };
}

/** The digits inverted (255 − p): most pixels lit, on a common background. */
export const inverted = (p) => 255 - p;

/** Inverted, with the low 6 bits of every pixel scrambled by a fixed pattern: no value is common to a pixel's images. */
export const invertedNoisy = (p, i) => (255 - p) ^ (Math.imul(i, 2654435761) >>> 26);
