// Types of node.js, the package's `scratchnet/node` entry: engine.js's API plus Node's loader and IDX reader.
import type { Engine, Flavor } from './engine.js';

export * from './engine.js';

/** The folder of the browser's builds, scratchnet-{simd,scalar,simd-threads}.{js,wasm}. */
export declare const WASM_DIR: string;
/** The folder of Node's pthread build (CommonJS). */
export declare const NODE_THREADS_DIR: string;
/** The .wasm file a flavour loads. */
export declare function wasmPath(flavor: Flavor): string;
/**
 * Loads one build from disk: 'simd' (the default), 'scalar', or 'simd-threads' (SIMD kernels on two threads).
 * Throws an Error naming the file if the build is missing, an EngineError for an unknown flavour.
 */
export declare function loadNodeEngine(flavor?: Flavor): Promise<Engine>;

/** The standard names of the four files of an MNIST-format set. */
export declare const IDX_FILES: Readonly<{ trainImages: string; trainLabels: string; testImages: string; testLabels: string }>;
/** The four uncompressed IDX files of a set, as loadData takes them. */
export interface IdxFiles {
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}
/** The paths of the four files in `dir` (each name with or without .gz); throws an Error listing what is missing. */
export declare function findIdxFiles(dir: string): { [K in keyof IdxFiles]: string };
/** A file's bytes, gunzipped if it is gzipped. */
export declare function readMaybeGzipped(path: string): Uint8Array;
/** The four files of an MNIST-format folder, each gzipped or not, uncompressed. */
export declare function readIdxFolder(dir: string): IdxFiles;
