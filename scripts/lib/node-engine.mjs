// Node's way into the engine: the very .wasm files the browser loads, read from disk and handed over as
// wasmBinary (Emscripten 3.1.6's web glue would otherwise fetch() a file path, which Node 20 rejects).
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadEngine } from '../../web/src/engine/engine.js';

export const WASM_DIR = fileURLToPath(new URL('../../web/src/wasm/', import.meta.url));

export function wasmPath(flavor) {
  return `${WASM_DIR}scratchnet-${flavor}.wasm`;
}

export async function loadNodeEngine(flavor = 'simd') {
  const path = wasmPath(flavor);
  if (!existsSync(path)) throw new Error(`${path} is missing: build the engine first (npm run build)`);
  return loadEngine({ flavor, wasmBinary: readFileSync(path) });
}
