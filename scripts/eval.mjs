#!/usr/bin/env node
// npm run eval -- MODEL [flags]: test accuracy and confusion matrix of a saved model.
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadNodeEngine } from './lib/node-engine.mjs';
import { DEFAULT_DATA_DIR, readIdxFolder } from './lib/mnist-files.mjs';
import { UsageError, engineFlag, parseFlags, runCli } from './lib/cli.mjs';

const USAGE = `usage: npm run eval -- MODEL [flags]

  MODEL          a model saved by npm run train -- --save MODEL (or by the web app)
  --data DIR     folder with the four MNIST-format IDX files, gzipped or not (default: MNIST)
  --engine KIND  simd (default), scalar, or threads (SIMD on two threads)
  --json         print the result as JSON
  -h, --help     this text`;

const FLAGS = { data: { type: 'string' }, engine: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };

/** The confusion matrix as text: rows are true labels, columns predictions, with per-class accuracy. */
export function formatConfusion(confusion) {
  const width = 6;
  const lines = [`${'true\\pred'.padEnd(10)}${[...Array(10).keys()].map((c) => String(c).padStart(width)).join('')}   accuracy`];
  for (let row = 0; row < 10; row++) {
    const cells = confusion.slice(row * 10, row * 10 + 10);
    const total = cells.reduce((a, b) => a + b, 0);
    const accuracy = total ? `${((100 * cells[row]) / total).toFixed(2)}%` : '-';
    lines.push(`${String(row).padEnd(10)}${cells.map((n) => String(n).padStart(width)).join('')}   ${accuracy.padStart(8)}`);
  }
  return lines.join('\n');
}

async function main(args) {
  const { values, positionals } = parseFlags(args, FLAGS, { positionals: 1 });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [modelPath] = positionals;
  if (!modelPath) throw new UsageError('which model? give the path of a saved model');
  if (!existsSync(modelPath)) throw new UsageError(`no file ${modelPath}`);
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
    console.log(JSON.stringify({ model: modelPath, sizes: info.sizes, output: info.output, ...evaluation }));
    return 0;
  }
  console.log(`${modelPath}: ${info.sizes.join('-')} ${info.output}, ${info.parameters.toLocaleString('en-US')} parameters`);
  console.log(`test accuracy ${(100 * evaluation.accuracy).toFixed(2)}%  loss ${evaluation.loss.toFixed(5)}  on ${evaluation.count} images from ${dataDir}\n`);
  console.log(formatConfusion(evaluation.confusion));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runCli(main, USAGE);
