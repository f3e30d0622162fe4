#!/usr/bin/env bash
# Installs what is missing, builds, and runs the hupwatch daemon with its
# defaults (`hupwatch run`; `hupwatch watch` on a build that has no daemon
# yet). Extra arguments go to that subcommand. Needs root to load BPF.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
bin=${HUPWATCH_BUILD_DIR:-build}/hupwatch
if "$bin" run --help >/dev/null 2>&1; then
  exec "$bin" run "$@"
fi
exec "$bin" watch "$@"
