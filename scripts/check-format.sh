#!/usr/bin/env bash
# Fails, naming the files, when a tracked C/C++ source differs from what
# clang-format (.clang-format) makes of it. Fix with:
#   clang-format -i $(git ls-files '*.c' '*.h' '*.cpp')
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' 2>/dev/null || find bpf userspace exporters tests bench -name '*.[ch]' -o -name '*.cpp')
clang-format --dry-run --Werror "${files[@]}"
