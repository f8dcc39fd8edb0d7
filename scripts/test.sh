#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test: the native GoogleTest suite, the same
# suite compiled to wasm SIMD under node, the web app's type check and unit tests, and the node tests (both
# wasm builds, the command-line tools, the built app in headless Chromium). Exits non-zero if any fails.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
bash scripts/setup.sh --browser

failed=()
say "native GoogleTest suite (g++, scalar kernels)"
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j"$(nproc)"
ctest --test-dir build/native --output-on-failure || failed+=("native ctest")

say "fuzz targets over the committed corpus (clang, libFuzzer, ASan + UBSan; docs/fuzzing.md)"
CC=clang CXX=clang++ cmake -S . -B build/fuzz-replay -DCMAKE_BUILD_TYPE=Release -DSCRATCHNET_FUZZ=ON >/dev/null
cmake --build build/fuzz-replay -j"$(nproc)" --target fuzz_idx fuzz_model_file
for corpus in idx model; do
  target=fuzz_$([ $corpus = idx ] && echo idx || echo model_file) log=build/fuzz-replay/$corpus.log
  build/fuzz-replay/$target -runs=0 -artifact_prefix=build/fuzz-replay/ cpp/fuzz/corpus/$corpus >"$log" 2>&1 &&
    echo "$target: $(tail -n 1 "$log")" || { cat "$log"; failed+=("$target corpus"); }
done

say "GoogleTest suite in wasm SIMD, under node"
cmake --build build/wasm -j"$(nproc)" --target scratchnet_wasm_tests
ctest --test-dir build/wasm --output-on-failure || failed+=("wasm ctest")

say "type check of the web app"
node_modules/.bin/tsc --noEmit -p web || failed+=("tsc")

say "unit tests of the web app's TypeScript (vitest)"
node_modules/.bin/vitest run --config web/vitest.config.ts || failed+=("vitest")

say "node tests: the wasm builds, the command-line tools, and the built app in headless Chromium"
node --test --test-concurrency=1 tests/node/ tests/e2e/ || failed+=("node --test")

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
