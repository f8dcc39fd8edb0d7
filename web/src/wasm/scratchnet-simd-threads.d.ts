// The SIMD build with a pthread pool (for cross-origin-isolated pages), generated next to this file.
import type { ModuleFactory } from './scratchnet-module.js';
declare const createScratchnet: ModuleFactory;
export default createScratchnet;
