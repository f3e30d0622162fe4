#!/usr/bin/env bash
# Configures and builds hupwatch, its tests and the bench drivers in ./build
# (or $HUPWATCH_BUILD_DIR). Prints warnings and errors, and the build's
# progress: one updating percentage on a terminal, a line per 10% otherwise
# (a fresh build takes minutes; silence looks like a hang).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${HUPWATCH_BUILD_DIR:-build}
echo "build: configuring in $build_dir" >&2
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHUPWATCH_WERROR=ON >/dev/null
echo "build: compiling with $(nproc) jobs" >&2
tty=0
[ -t 2 ] && tty=1
# pipefail keeps cmake's status; the filter prints what is not progress.
cmake --build "$build_dir" -j"$(nproc)" 2>&1 | {
  shown=-10
  while IFS= read -r line; do
    if [[ "$line" =~ ^\[\ *([0-9]+)%\] ]]; then
      pct=${BASH_REMATCH[1]}
      if [ "$tty" -eq 1 ]; then
        printf '\rbuild: %3d%%' "$pct" >&2
      elif [ "$pct" -ge $((shown + 10)) ]; then
        echo "build: $pct%" >&2
        shown=$pct
      fi
    elif [[ ! "$line" =~ ^(Consolidate|Scanning|Built\ target|Generating\ vmlinux|Linking\ BPF|BPF\ ) ]]; then
      [ "$tty" -eq 1 ] && printf '\r' >&2
      printf '%s\n' "$line"
    fi
  done
  [ "$tty" -eq 1 ] && printf '\n' >&2
  true
}
echo "build: done: $build_dir/hupwatch" >&2
