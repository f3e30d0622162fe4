#!/usr/bin/env bash
# Installs what is missing, builds, and runs the hupwatch daemon with its
# defaults (metrics on 127.0.0.1:9776/metrics). Extra arguments go to
# `hupwatch run`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
exec ./build/hupwatch run "$@"
