#!/usr/bin/env node
// npm run eval -- MODEL [flags]: test accuracy and confusion matrix of a saved model.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadNodeEngine } from '../web/src/engine/node.js';
import { DEFAULT_DATA_DIR, readIdxFolder } from './lib/mnist-files.mjs';
import { UsageError, checkReadableFile, commandLine, engineFlag, parseFlags, runCli } from './lib/cli.mjs';

export const USAGE = `usage: ${commandLine('eval')} MODEL [flags]

  MODEL          a model saved by npm run train -- --save MODEL (or by the web app)
  --data DIR     folder with the four MNIST-format IDX files, gzipped or not (default: MNIST)
  --engine KIND  simd (default), scalar, or threads (SIMD on two threads)
  --json         print the result as JSON
  -h, --help     this text`;

const FLAGS = { data: { type: 'string' }, engine: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };

/** Past this many classes the matrix is too wide to read as numbers: per-class accuracy and the top confusions instead. */
const FULL_MATRIX_MAX_CLASSES = 20;

/**
 * The confusion matrix (classes × classes, rows true labels, columns predictions) as text, with per-class
 * accuracy; for more than 20 classes, per-class accuracy and the most frequent confusions.
 */
export function formatConfusion(confusion, classes = Math.round(Math.sqrt(confusion.length))) {
  const rowOf = (label) => confusion.slice(label * classes, (label + 1) * classes);
  const accuracyOf = (label) => {
    const cells = rowOf(label);
    const total = cells.reduce((a, b) => a + b, 0);
    return total ? `${((100 * cells[label]) / total).toFixed(2)}%` : '-';
  };
  if (classes > FULL_MATRIX_MAX_CLASSES) {
    const lines = ['per-class accuracy:'];
    for (let label = 0; label < classes; label += 8)
      lines.push([...Array(Math.min(8, classes - label)).keys()].map((i) => `${String(label + i).padStart(4)} ${accuracyOf(label + i).padStart(8)}`).join('  '));
    const mistakes = [];
    for (let t = 0; t < classes; t++)
      for (let p = 0; p < classes; p++) if (t !== p && confusion[t * classes + p] > 0) mistakes.push([confusion[t * classes + p], t, p]);
    mistakes.sort((a, b) => b[0] - a[0]);
    lines.push('', 'most frequent confusions (true -> predicted: count):');
    for (const [count, t, p] of mistakes.slice(0, 10)) lines.push(`  ${t} -> ${p}: ${count}`);
    lines.push('', `(${classes} classes: --json prints the whole ${classes}x${classes} matrix)`);
    return lines.join('\n');
  }
  const width = Math.max(6, ...confusion.map((n) => String(n).length + 1));
  const lines = [`${'true\\pred'.padEnd(10)}${[...Array(classes).keys()].map((c) => String(c).padStart(width)).join('')}   accuracy`];
  for (let label = 0; label < classes; label++)
    lines.push(`${String(label).padEnd(10)}${rowOf(label).map((n) => String(n).padStart(width)).join('')}   ${accuracyOf(label).padStart(8)}`);
  return lines.join('\n');
}

export async function main(args) {
  const { values, positionals } = parseFlags(args, FLAGS, { positionals: 1 });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [modelPath] = positionals;
  if (modelPath === undefined) throw new UsageError('which model? give the path of a saved model');
  checkReadableFile(modelPath, 'MODEL');
  const dataDir = values.data ?? DEFAULT_DATA_DIR;
  const files = readIdxFolder(dataDir);
  const engine = await loadNodeEngine(engineFlag(values));
  engine.loadData('test', files.testImages, files.testLabels);
  let info;
  try {
    info = engine.loadModel(new Uint8Array(readFileSync(modelPath)));
  } catch (error) {
    throw new Error(`${modelPath}: ${error.message}`);
  }
  const evaluation = engine.evaluate('test');
  if (values.json) {
    console.log(JSON.stringify({ model: modelPath, sizes: info.sizes, output: info.output, scaling: info.scaling, ...evaluation }));
    return 0;
  }
  console.log(`${modelPath}: ${info.sizes.join('-')} ${info.output}, ${info.classes} classes, ${info.scaling} scaling, ${info.parameters.toLocaleString('en-US')} parameters`);
  console.log(`test accuracy ${(100 * evaluation.accuracy).toFixed(2)}%  loss ${evaluation.loss.toFixed(5)}  on ${evaluation.count} images from ${dataDir}\n`);
  console.log(formatConfusion(evaluation.confusion, evaluation.classes));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runCli(main, USAGE);
