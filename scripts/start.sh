#!/usr/bin/env bash
# The first command: installs what is missing, builds the engine, MNIST and the app, then serves the
# built app and prints its URL. Ctrl-C stops the server.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
bash scripts/setup.sh
say "serving the app: open the Local URL below"
exec node_modules/.bin/vite preview --config web/vite.config.ts --port "${PORT:-4173}" "$@"
