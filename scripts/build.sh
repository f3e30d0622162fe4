#!/usr/bin/env bash
# Configures and builds hupwatch and its tests in ./build; shows only what
# is not progress noise.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# pipefail keeps cmake's status; the filter itself may match nothing.
cmake --build build -j"$(nproc)" 2>&1 |
  { grep -Ev '^\[ *[0-9]+%\]|^(Consolidate|Scanning|Built target)' || true; }
