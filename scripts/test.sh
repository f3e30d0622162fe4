#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests (no
# root) and the root tests that load BPF and drive real terminals, sshd and
# Prometheus. With CI=true, a test that cannot load BPF fails instead of
# skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
if [ "${CI:-}" = "true" ] && [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: CI=true needs root: the BPF tests must run, not skip" >&2
  exit 1
fi
ctest --test-dir build --output-on-failure -j1 "$@"
