#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test registered in ctest:
# label "unit" (no root, no kernel) and label "bpf" (root: loads the BPF
# programs, drives real terminals, sshd and Prometheus). With CI=true a test
# that cannot load BPF fails instead of skipping. Extra arguments go to ctest
# (e.g. `-L unit`). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${CI:-}" = "true" ]; then
  export CI
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: CI=true needs root: the BPF tests must run, not skip" >&2
    exit 1
  fi
fi
./scripts/install-deps.sh
./scripts/build.sh
# -j1: the bpf tests attach host-wide probes and must not overlap.
ctest --test-dir "${HUPWATCH_BUILD_DIR:-build}" --output-on-failure -j1 "$@"
