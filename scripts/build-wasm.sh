#!/usr/bin/env bash
# Builds the engine: web/src/wasm/scratchnet-{simd,scalar,simd-threads}.*, and the pthread build for Node
# (build/wasm/node/) that the benchmark and tests use.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
say "building the wasm engine (SIMD, scalar, and SIMD with threads)"
if [ ! -f build/wasm/CMakeCache.txt ]; then
  emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build/wasm -j"$(nproc)" --target scratchnet_simd scratchnet_scalar scratchnet_simd_threads scratchnet_simd_threads_node
