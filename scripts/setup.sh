#!/usr/bin/env bash
# Installs what is missing (system packages, npm packages), then builds the engine, MNIST and the app.
# Safe to run again: each step is skipped when its result is already there.
# --browser: also Chromium, which the end-to-end tests drive.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

missing=()
command -v node >/dev/null || missing+=(nodejs npm)
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
# GoogleTest: the native suite uses the installed package, the wasm suite builds it from /usr/src/googletest.
[ -d /usr/src/googletest ] && [ -e /usr/lib/x86_64-linux-gnu/cmake/GTest/GTestConfig.cmake -o -n "$(find /usr/lib -name GTestConfig.cmake -print -quit 2>/dev/null)" ] || missing+=(libgtest-dev)
# clang with libFuzzer (and its ASan and UBSan runtimes): the fuzz targets in cpp/fuzz, replayed by test.sh.
command -v clang++ >/dev/null || missing+=(clang)
[ -n "$(find /usr/lib/llvm-* -name 'libclang_rt.fuzzer-*.a' -print -quit 2>/dev/null)" ] || missing+=(libclang-rt-dev)
# An emcc already on PATH (say, from emsdk) is used as it is; Debian's Emscripten only when there is none.
command -v emcc >/dev/null || missing+=(emscripten)
# Fashion-MNIST, the page's second data set (scripts/prepare-data.mjs copies it beside MNIST).
[ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
if [ "${1:-}" = --browser ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "error: Node $(node --version) is too old; scratchnet needs Node 20.19 or newer" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi

bash scripts/build.sh
