// Shared by the node tests: the real MNIST files (prepared by npm run setup) and fresh engines.
import { readIdxFolder } from '../../scripts/lib/mnist-files.mjs';
import { withPixels } from '../../scripts/lib/pixel-maps.mjs';
import { loadNodeEngine } from '../../web/src/engine/node.js';

let mnist;
/** The four MNIST files, uncompressed, read once per test process. */
export function mnistFiles() {
  mnist ??= readIdxFolder();
  return mnist;
}

/** A fresh module instance of one build with MNIST loaded (trainLimit/testLimit: first N samples; pixels: each
 * pixel mapped, scripts/lib/pixel-maps.mjs). */
export async function engineWithMnist(flavor, { trainLimit = 0, testLimit = 0, pixels } = {}) {
  const files = pixels ? withPixels(mnistFiles(), pixels) : mnistFiles();
  const engine = await loadNodeEngine(flavor);
  engine.loadData('train', files.trainImages, files.trainLabels, { limit: trainLimit });
  engine.loadData('test', files.testImages, files.testLabels, { limit: testLimit });
  return engine;
}

/** The first `count` test images as raw pixels. */
export function testImages(count) {
  return mnistFiles().testImages.slice(16, 16 + 784 * count);
}
