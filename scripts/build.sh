#!/usr/bin/env bash
# Builds everything the app needs: the wasm engine, MNIST in web/public/data/, and the static site in dist/.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
bash scripts/build-wasm.sh
say "MNIST"
node scripts/prepare-data.mjs
say "building the web app into dist/"
node_modules/.bin/vite build --config web/vite.config.ts --logLevel warn
