// The page's gallery of mistakes: the whole test set through the model, in chunks so the memory stays bounded, and
// the wrong answers it gave the highest scores. Imported on first use, so the embed's worker never loads it.
import type { Engine } from '../engine/engine.js';
import { topClass } from '../lib/top-class';
import type { Mistakes } from './protocol';
import type { LoadedData } from './training.worker';

/** Test images per predict() call: a chunk of the 2048-unit network's activations is 8 MB. */
const CHUNK = 1000;

export function findMistakes(engine: Engine, { bytes, info }: LoadedData, count: number): Mistakes {
  const size = info.rows * info.cols;
  const imagesHeader = 4 + 4 * bytes.testImages[3]; // magic, then one 32-bit size per dimension
  const image = (index: number) => bytes.testImages.subarray(imagesHeader + index * size, imagesHeader + (index + 1) * size);
  const found: { index: number; label: number; guess: number; score: number }[] = [];
  for (let from = 0; from < info.testCount; from += CHUNK) {
    const n = Math.min(CHUNK, info.testCount - from);
    const scores = engine.predict(bytes.testImages.subarray(imagesHeader + from * size, imagesHeader + (from + n) * size));
    const classes = scores.length / n;
    for (let i = 0; i < n; i++) {
      const row = scores.subarray(i * classes, (i + 1) * classes);
      const guess = topClass(row);
      const label = bytes.testLabels[8 + from + i];
      if (guess !== label) found.push({ index: from + i, label, guess, score: row[guess] });
    }
  }
  const shown = found.sort((a, b) => b.score - a.score).slice(0, count);
  const pixels = new Uint8Array(shown.length * size);
  shown.forEach(({ index }, k) => pixels.set(image(index), k * size));
  return {
    wrong: found.length, tested: info.testCount,
    shown: { pixels, rows: info.rows, cols: info.cols, labels: Uint8Array.from(shown, (m) => m.label), predicted: Uint8Array.from(shown, (m) => m.guess) },
  };
}
