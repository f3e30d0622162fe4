#!/usr/bin/env bash
# Configures and builds hupwatch, its tests and the bench drivers in ./build
# (or $HUPWATCH_BUILD_DIR); prints only warnings and errors, not progress.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${HUPWATCH_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHUPWATCH_WERROR=ON >/dev/null
# pipefail keeps cmake's status; the filter itself may match nothing.
cmake --build "$build_dir" -j"$(nproc)" 2>&1 |
  { grep -Ev '^\[ *[0-9]+%\]|^(Consolidate|Scanning|Built target|Generating vmlinux|Linking BPF|BPF )' || true; }
