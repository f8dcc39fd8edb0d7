// Node's way into the engine: the very .wasm files the browser loads, read from disk and handed over as
// wasmBinary (Emscripten 3.1.6's web glue would otherwise fetch() a file path, which Node 20 rejects).
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { loadEngine } from '../../web/src/engine/engine.js';

export const WASM_DIR = fileURLToPath(new URL('../../web/src/wasm/', import.meta.url));

/** Node's pthread build: CommonJS, since Emscripten 3.1.6's ES6 pthread glue does not run in Node. */
export const NODE_THREADS_DIR = fileURLToPath(new URL('../../build/wasm/node/', import.meta.url));

export function wasmPath(flavor) {
  return flavor === 'simd-threads' ? `${NODE_THREADS_DIR}scratchnet-simd-threads.wasm` : `${WASM_DIR}scratchnet-${flavor}.wasm`;
}

/** flavor: 'simd', 'scalar', or 'simd-threads' (SIMD kernels split across two threads). */
export async function loadNodeEngine(flavor = 'simd') {
  const path = wasmPath(flavor);
  if (!existsSync(path)) throw new Error(`${path} is missing: build the engine first (npm run build)`);
  const factory = flavor === 'simd-threads' ? createRequire(import.meta.url)(`${NODE_THREADS_DIR}scratchnet-simd-threads.js`) : undefined;
  return loadEngine({ flavor, wasmBinary: readFileSync(path), factory });
}
