#!/usr/bin/env bash
# Runs the tests, all of them or one layer:
#   bash scripts/test.sh          install what is missing, build everything, run every layer (npm test)
#   bash scripts/test.sh native   the GoogleTest suite built with g++ (scalar kernels), and the fuzz targets
#                                 over their committed corpus (clang, ASan + UBSan)        (npm run test:native)
#   bash scripts/test.sh wasm     the same GoogleTest suite compiled to wasm SIMD, under node (npm run test:wasm)
#   bash scripts/test.sh web      the web app's type check (and the package's typed usage file) and its
#                                 unit tests (vitest)                                         (npm run test:web)
#   bash scripts/test.sh node     the wasm builds, the command-line tools, the npm package   (npm run test:node)
#   bash scripts/test.sh e2e      the built app in headless Chromium                          (npm run test:e2e)
# A single layer builds what it tests but installs nothing (run the full command once for that).
# Exits non-zero if any test fails.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
layer="${1:-all}"
case "$layer" in
  all) bash scripts/setup.sh --browser ;;
  native | wasm | web | node | e2e) ;;
  *) echo "usage: bash scripts/test.sh [native|wasm|web|node|e2e]" >&2; exit 2 ;;
esac
runs() { [ "$layer" = all ] || [ "$layer" = "$1" ]; }

failed=()
if runs native; then
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
fi

if runs wasm; then
  say "GoogleTest suite in wasm SIMD, under node"
  [ -f build/wasm/CMakeCache.txt ] || emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/wasm -j"$(nproc)" --target scratchnet_wasm_tests
  ctest --test-dir build/wasm --output-on-failure || failed+=("wasm ctest")
fi

if runs web; then
  say "type check of the web app, and of the package's typed usage file (tests/types)"
  node_modules/.bin/tsc --noEmit -p web || failed+=("tsc web")
  node_modules/.bin/tsc -p tests/types || failed+=("tsc tests/types")

  say "unit tests of the web app's TypeScript (vitest)"
  node_modules/.bin/vitest run --config web/vitest.config.ts || failed+=("vitest")
fi

if runs node; then
  [ "$layer" = all ] || bash scripts/build-wasm.sh
  say "node tests: the wasm builds, the command-line tools, the npm package"
  node --test --test-concurrency=1 tests/node/ || failed+=("node tests")
fi

if runs e2e; then
  if [ "$layer" != all ]; then bash scripts/build-wasm.sh && node_modules/.bin/vite build --config web/vite.config.ts --logLevel warn; fi
  say "end-to-end tests: the built app in headless Chromium"
  node --test --test-concurrency=1 tests/e2e/ || failed+=("e2e tests")
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
