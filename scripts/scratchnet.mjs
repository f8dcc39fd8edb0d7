#!/usr/bin/env node
// The package's command: `scratchnet train|eval|bench|export [flags]`, the npm scripts' tools with the same flags.
import { UsageError, runAs, runCli } from './lib/cli.mjs';

const TOOLS = Object.freeze({
  train: 'train a network on MNIST or any MNIST-format folder, print each epoch, save the model',
  eval: 'test accuracy and confusion matrix of a saved model',
  bench: 'training and inference speed of the engine\'s builds',
  export: 'a saved model as an ONNX file',
});
const USAGE = `usage: scratchnet COMMAND [flags]   (scratchnet COMMAND --help for its flags)

${Object.entries(TOOLS).map(([name, what]) => `  ${name.padEnd(8)} ${what}`).join('\n')}`;

const [tool, ...args] = process.argv.slice(2);
if (tool === '-h' || tool === '--help' || tool === 'help') {
  console.log(USAGE);
} else if (!Object.hasOwn(TOOLS, tool ?? '')) {
  await runCli(() => {
    throw new UsageError(tool === undefined ? 'which command?' : `unknown command '${tool}'`);
  }, USAGE);
} else {
  runAs('scratchnet');
  const { main, USAGE: toolUsage } = await import(`./${tool}.mjs`);
  await runCli(main, toolUsage, args);
}
