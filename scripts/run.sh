#!/usr/bin/env bash
# Installs what is missing, builds, and runs the hupwatch daemon with its
# defaults (`hupwatch run`). Extra arguments go to it. Needs root to load
# BPF. Each stage says what it does: a fresh machine takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "run.sh: [1/3] checking the packages hupwatch needs" >&2
./scripts/install-deps.sh
echo "run.sh: [2/3] building (a few minutes the first time)" >&2
./scripts/build.sh
echo "run.sh: [3/3] starting hupwatch run; Ctrl-C stops it" >&2
exec "${HUPWATCH_BUILD_DIR:-build}/hupwatch" run "$@"
