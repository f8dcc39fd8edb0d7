#!/usr/bin/env bash
# The first command: installs what is missing, builds the engine, prepares MNIST, then trains the
# default network headless in Node (the browser app is still to come).
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
bash scripts/setup.sh
say "training the default network (784-2048-10, sigmoid + L2) on MNIST"
node scripts/train.mjs "$@"
