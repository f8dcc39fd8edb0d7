// The simd build's Emscripten glue (generated next to this file by the wasm build).
import type { ModuleFactory } from './scratchnet-module.js';
declare const createScratchnet: ModuleFactory;
export default createScratchnet;
