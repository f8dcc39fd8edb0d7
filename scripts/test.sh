#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test: the native GoogleTest suite, the same
# suite compiled to wasm SIMD under node, and the node tests of both wasm builds. Exits non-zero if any fails.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
bash scripts/setup.sh --browser

failed=()
say "native GoogleTest suite (g++, scalar kernels)"
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j"$(nproc)"
ctest --test-dir build/native --output-on-failure || failed+=("native ctest")

say "GoogleTest suite in wasm SIMD, under node"
cmake --build build/wasm -j"$(nproc)" --target scratchnet_wasm_tests
ctest --test-dir build/wasm --output-on-failure || failed+=("wasm ctest")

say "node tests of the wasm builds"
node --test --test-concurrency=1 tests/node/ || failed+=("node --test")

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
