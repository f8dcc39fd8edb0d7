// Shared pieces of the command-line tools: strict flag parsing with usage errors, and number checks.
import { parseArgs } from 'node:util';
import { renameSync, writeFileSync } from 'node:fs';

export class UsageError extends Error {}

/** parseArgs, but every problem becomes a UsageError (unknown flag, missing value, stray argument). */
export function parseFlags(args, options, { positionals = 0 } = {}) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
  } catch (error) {
    throw new UsageError(error.message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument '${parsed.positionals[positionals]}'`);
  return parsed;
}

/** A number flag within [min, max]; `integer` requires a whole number. */
export function numberFlag(values, name, fallback, { min = -Infinity, max = Infinity, integer = false } = {}) {
  const text = values[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const kind = integer ? 'a whole number' : 'a number';
    throw new UsageError(`--${name} must be ${kind} from ${min} to ${max}, not '${text}'`);
  }
  return value;
}

/** A flag that names one of `choices` (`fallback` when absent); a UsageError for any other value. */
export function choiceFlag(values, name, choices, fallback) {
  const value = values[name] ?? fallback;
  if (!choices.includes(value)) throw new UsageError(`--${name} must be ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}, not '${value}'`);
  return value;
}

/** The builds the --engine flag names: threads is the SIMD build on a pool of two threads (Node's pthread build). */
const ENGINES = Object.freeze({ simd: 'simd', scalar: 'scalar', threads: 'simd-threads' });

/** The engine flavour an --engine flag names (simd when absent); a UsageError for any other name. */
export function engineFlag(values) {
  const name = values.engine ?? 'simd';
  if (!Object.hasOwn(ENGINES, name)) throw new UsageError(`--engine must be simd, scalar or threads, not '${name}'`);
  return ENGINES[name];
}

/** Runs a CLI's main(), printing usage errors with the usage text and exiting non-zero on any error. */
export async function runCli(main, usage) {
  try {
    process.exitCode = (await main(process.argv.slice(2))) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n\n${usage}`);
      process.exitCode = 2;
    } else {
      console.error(`error: ${error.message}`);
      process.exitCode = 1;
    }
  }
}

/** Writes a file through a temporary name, so an interrupted write never leaves a half file in its place. */
export function writeFileAtomic(path, bytes) {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
}
