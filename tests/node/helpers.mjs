// Shared by the node tests: the real MNIST files (prepared by npm run setup) and fresh engines.
import { readIdxFolder } from '../../scripts/lib/mnist-files.mjs';
import { loadNodeEngine } from '../../web/src/engine/node.js';

let mnist;
/** The four MNIST files, uncompressed, read once per test process. */
export function mnistFiles() {
  mnist ??= readIdxFolder();
  return mnist;
}

/** A fresh module instance of one build with MNIST loaded (trainLimit/testLimit: first N samples). */
export async function engineWithMnist(flavor, { trainLimit = 0, testLimit = 0, pixels } = {}) {
  const files = mnistFiles();
  const engine = await loadNodeEngine(flavor);
  const images = (file) => (pixels ? withPixels(file, pixels) : file);
  engine.loadData('train', images(files.trainImages), files.trainLabels, { limit: trainLimit });
  engine.loadData('test', images(files.testImages), files.testLabels, { limit: testLimit });
  return engine;
}

/** An IDX images file with every pixel p turned into pixels(p, i) (i: its place among the pixels), the header kept. */
export function withPixels(file, pixels) {
  const out = Uint8Array.from(file);
  for (let i = 16; i < out.length; i++) out[i] = pixels(out[i], i - 16);
  return out;
}

/** The digits inverted with the low 6 bits of every pixel scrambled (a fixed pattern): no value common to a pixel's images. */
export const invertedNoisy = (p, i) => (255 - p) ^ (Math.imul(i, 2654435761) >>> 26);

/** The first `count` test images as raw pixels. */
export function testImages(count) {
  return mnistFiles().testImages.slice(16, 16 + 784 * count);
}
