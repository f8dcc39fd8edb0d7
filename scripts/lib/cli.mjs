// Shared pieces of the command-line tools: strict flag parsing with usage errors, and number checks.
import { parseArgs } from 'node:util';
import { closeSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export class UsageError extends Error {}

/** 'scratchnet' when a tool runs from the package's bin (scratchnet.mjs), for the usage texts; null for npm run. */
let invokedAs = null;
/** Called by the bin before it imports a tool, so that the tool's usage names the command as typed. */
export function runAs(program) {
  invokedAs = program;
}
/** How a tool is typed: `npm run train --` in this repository, `scratchnet train` from the package's bin. */
export function commandLine(tool) {
  return invokedAs ? `${invokedAs} ${tool}` : `npm run ${tool} --`;
}

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
export async function runCli(main, usage, args = process.argv.slice(2)) {
  try {
    process.exitCode = (await main(args)) ?? 0;
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

/** stat, or null when nothing is there (also when a part of the path is a file: ENOTDIR). */
export function statOrNull(path) {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? null;
  } catch (error) {
    if (error.code === 'ENOTDIR') return null;
    throw error;
  }
}

/** What went wrong with a file operation, in words, without the path Node puts in its message (often a temporary one). */
export function fileProblem(error) {
  const reasons = {
    EACCES: 'permission denied', EPERM: 'permission denied', EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device', EDQUOT: 'the disk quota is exhausted', ENOENT: 'the folder does not exist',
    ENOTDIR: 'a part of the path is not a folder', EISDIR: 'it is a folder', ENOTEMPTY: 'it is a folder',
    EEXIST: 'something else is in the way', ENAMETOOLONG: 'the name is too long', EIO: 'an input/output error',
    EBUSY: 'it is busy', EXDEV: 'the temporary file is on another device',
  };
  return reasons[error.code] ?? error.code ?? error.message;
}

/** The temporary file that writeFileAtomic writes `path` through (in the same folder, so the rename is atomic). */
export function temporaryPath(path) {
  return `${path}.tmp-${process.pid}`;
}

/** A file to read (a model): given, there, and a file rather than a folder. Throws a UsageError naming `path`. */
export function checkReadableFile(path, flag) {
  if (path === '') throw new UsageError(`${flag} needs a file name, not ''`);
  const stats = statOrNull(path);
  if (!stats) throw new UsageError(`${flag}: no file ${path}`);
  if (stats.isDirectory()) throw new UsageError(`${flag} ${path}: that is a folder, not a model file`);
}

/**
 * Checks, before any long work, that `path` can be written by writeFileAtomic: a file name (not '' and not a
 * folder) in an existing folder where a file can be created (tried for real: as root, access() says yes where
 * the file system says no). Throws a UsageError that names `path` as the user gave it.
 */
export function checkWritableFile(path, flag) {
  const example = (folder) => join(folder, 'model.bin');
  if (path === '') throw new UsageError(`${flag} needs a file name, not ''`);
  if (/[\\/]$/.test(path)) throw new UsageError(`${flag} ${path}: that names a folder; give a file name, e.g. ${example(path)}`);
  const stats = statOrNull(path);
  if (stats?.isDirectory()) throw new UsageError(`${flag} ${path}: that is a folder; give a file name, e.g. ${example(path)}`);
  if (stats && !stats.isFile()) throw new UsageError(`${flag} ${path}: that is not a regular file (a device, a pipe or a socket)`);
  const folder = dirname(path);
  const folderStats = statOrNull(folder);
  if (!folderStats) throw new UsageError(`${flag} ${path}: the folder ${folder} does not exist`);
  if (!folderStats.isDirectory()) throw new UsageError(`${flag} ${path}: ${folder} is not a folder`);
  const temporary = temporaryPath(path);
  try {
    closeSync(openSync(temporary, 'w'));
  } catch (error) {
    throw new UsageError(`${flag} ${path}: cannot write in the folder ${folder} (${fileProblem(error)})`);
  } finally {
    removeQuietly(temporary);
  }
}

/** Removes a file if it is there; a failure to remove it is not the problem to report. */
function removeQuietly(path) {
  try {
    rmSync(path, { force: true });
  } catch {
    // nothing more to do
  }
}

/**
 * Writes a file through a temporary name in the same folder, then renames it into place, so an interrupted or
 * failed write never leaves a half file at `path`. On any failure the temporary file is removed and the Error
 * names `path`, not the temporary file.
 */
export function writeFileAtomic(path, bytes) {
  const temporary = temporaryPath(path);
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, path);
  } catch (error) {
    removeQuietly(temporary);
    throw new Error(`could not save ${path}: ${fileProblem(error)}`, { cause: error });
  }
}
