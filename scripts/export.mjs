#!/usr/bin/env node
// npm run export -- MODEL OUT.onnx: a saved model as an ONNX file, for ONNX Runtime and the tools that read ONNX.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ONNX_OPSET, modelToOnnx, readModelFile } from '../web/src/engine/onnx-export.js';
import { UsageError, checkReadableFile, commandLine, checkWritableFile, fileProblem, parseFlags, runCli, statOrNull, writeFileAtomic } from './lib/cli.mjs';

export const USAGE = `usage: ${commandLine('export')} MODEL OUT.onnx

  MODEL          a model saved by npm run train -- --save MODEL (or by the web app)
  OUT.onnx       the ONNX file to write (opset ${ONNX_OPSET}): input 'pixels', float32 [N, inputs], raw pixels 0..255;
                 output 'scores', float32 [N, classes], the class scores the engine's predict gives
  -h, --help     this text`;

const FLAGS = { help: { type: 'boolean', short: 'h' } };

export async function main(args) {
  const { values, positionals } = parseFlags(args, FLAGS, { positionals: 2 });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [modelPath, outPath] = positionals;
  if (modelPath === undefined) throw new UsageError('which model? give the path of a saved model and of the ONNX file to write');
  if (outPath === undefined) throw new UsageError('where to? give the path of the ONNX file to write after the model');
  checkReadableFile(modelPath, 'MODEL');
  if (statOrNull(outPath)?.isDirectory() || /[\\/]$/.test(outPath))
    throw new UsageError(`OUT ${outPath}: that names a folder; give a file name, e.g. ${join(outPath, 'model.onnx')}`);
  checkWritableFile(outPath, 'OUT');
  let bytes;
  try {
    bytes = new Uint8Array(readFileSync(modelPath));
  } catch (error) {
    throw new Error(`${modelPath} cannot be read (${fileProblem(error)})`);
  }
  let model;
  try {
    model = readModelFile(bytes);
  } catch (error) {
    throw new Error(`${modelPath}: ${error.message}`);
  }
  const onnx = modelToOnnx(model);
  writeFileAtomic(outPath, onnx);
  const [rows, cols] = model.inputShape;
  console.log(`${outPath}: ${model.sizes.join('-')} ${model.output}, ${model.scaling} scaling, ${rows}x${cols} inputs, ` +
    `${onnx.length.toLocaleString('en-US')} bytes (ONNX opset ${ONNX_OPSET}; in: pixels [N, ${model.sizes[0]}] 0..255, out: scores [N, ${model.sizes.at(-1)}])`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runCli(main, USAGE);
