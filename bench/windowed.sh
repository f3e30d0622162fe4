#!/usr/bin/env bash
# The spawn storm's slowdown, resolved to a fraction of a point (see
# bench/README.md, "Windowed spawn storm"). This VM's speed drifts by ±12 %
# from one second to the next, so whole runs (bench/run.sh) leave a 90 %
# interval 15 points wide. Here bench/windowed_spawn alternates two states of
# the machine every 50 ms, ABBA, in one process, and pairs neighbouring
# windows:
#   floor:    the empty programs (bench/floor.bpf.c) attached vs detached: what
#             any monitor of these four tracepoints pays before doing anything;
#   records:  programs on the same tracepoints that only put one record per
#             event in a ring buffer (bench/record_floor.bpf.c, hupwatch's
#             record sizes and clock reads), a thread discarding them every
#             100 ms, recording vs turned away at their first line: what any
#             monitor that reports each fork, exec and exit pays beyond the
#             floor before it fills or decides anything;
#   hupwatch: `hupwatch run` with its defaults (store, metrics, every sink it
#             starts by default), its programs working vs turned away at their
#             first line through its bench_pause map: all that hupwatch does
#             beyond the floor, in the kernel and in its daemon.
# floor + hupwatch is hupwatch's slowdown against an unmonitored machine;
# floor + records, the least a recording monitor's can be on this machine.
# BENCH_WITHOUT_FORK=1 adds two states, the same floor and records with no
# program on sched_process_fork at all: their sum is the least a monitor
# could cost that recorded each process once, at its exit, learning the rest
# at exec or from a sweep (the one lever left on this path, see
# bench/README.md).
#
# Usage: bench/windowed.sh [rounds=3] [pairs=400] [window_ms=50]     (as root)
# Env:   HUPWATCH_BUILD_DIR (default build), BENCH_CPU (default 1),
#        BENCH_NO_BUILD=1, HUPWATCH_ARGS (extra arguments for hupwatch run),
#        BENCH_WITHOUT_FORK=1.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
pairs=${2:-400}
window=${3:-50}
build=${HUPWATCH_BUILD_DIR:-build}
cpu=${BENCH_CPU:-1}
die() { echo "windowed: $*" >&2; exit 1; }
trap 'echo "windowed: stopped: line $LINENO: $BASH_COMMAND failed" >&2' ERR
[ "$(id -u)" -eq 0 ] || die "needs root (loads BPF programs)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (the storm on one, hupwatch's daemon free to use the other)"
[ "${BENCH_NO_BUILD:-0}" = 1 ] || ./scripts/build.sh >&2
for exe in "$build/hupwatch" "$build/bench/windowed_spawn"; do
  [ -x "$exe" ] || die "the build did not produce $exe"
done

work=$(mktemp -d /tmp/hupwatch-windowed.XXXXXX)
mon=
cleanup() {
  if [ -n "$mon" ] && kill -0 "$mon" 2>/dev/null; then kill -INT "$mon"; wait "$mon" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=bench/held_map.sh
. bench/held_map.sh

# Prints the windowed slowdown of hupwatch's work over the floor; writes the
# events hupwatch lost in the kernel to $work/lost (it runs in $(...)).
measure_hupwatch() {
  # shellcheck disable=SC2086
  "$build/hupwatch" run --db "$work/db" --web.listen-address 127.0.0.1:0 --no-query-socket \
    ${HUPWATCH_ARGS:-} >/dev/null 2>"$work/hw.err" &
  mon=$!
  local map=
  for _ in $(seq 300); do
    kill -0 "$mon" 2>/dev/null || die "hupwatch run exited: $(cat "$work/hw.err")"
    grep -q "^hupwatch: running (" "$work/hw.err" && map=$(held_map_id "$mon" bench_pause)
    [ -n "$map" ] && break
    sleep 0.05
  done
  [ -n "$map" ] || die "hupwatch run did not start within 15 s: $(cat "$work/hw.err")"
  "$build/bench/windowed_spawn" "$map" "$window" "$pairs" "$cpu"
  kill -INT "$mon"
  wait "$mon" || die "hupwatch run failed: $(cat "$work/hw.err")"
  mon=
  sed -n 's/.*; \([0-9]*\) lost in the kernel.*/\1/p' "$work/hw.err" | tail -1 >"$work/lost"
  rm -f "$work"/db*
}

states=(floor records hupwatch)
[ "${BENCH_WITHOUT_FORK:-0}" = 1 ] && states+=(floor-nofork exit-records)
declare -A slowdowns
lost_all=0
for r in $(seq "$rounds"); do
  # Each state once per round, in rotating order.
  for step in $(seq 0 $((${#states[@]} - 1))); do
    state=${states[$(((r + step) % ${#states[@]}))]}
    if [ "$state" = hupwatch ]; then
      line=$(measure_hupwatch)
      lost=$(cat "$work/lost")
      lost_all=$((lost_all + ${lost:-0}))
      echo "windowed: round $r hupwatch: $line; ${lost:-?} lost" >&2
    else
      line=$("$build/bench/windowed_spawn" "$state" "$window" "$pairs" "$cpu")
      echo "windowed: round $r $state: $line" >&2
    fi
    slowdowns[$state]+=" $(awk '{print $2}' <<<"$line")"
  done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
f=$(median <<<"${slowdowns[floor]}")
k=$(median <<<"${slowdowns[records]}")
w=$(median <<<"${slowdowns[hupwatch]}")
echo "| floor: empty programs vs none | records: one per event vs turned away | hupwatch's work: defaults vs turned away | least recording monitor (floor + records) | hupwatch vs unmonitored (floor + work) | rounds x pairs of ${window} ms | events lost |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
awk -v f="$f" -v k="$k" -v w="$w" -v r="$rounds" -v p="$pairs" -v l="$lost_all" \
  'BEGIN {printf "| %.2f %% | %.2f %% | %.2f %% | %.2f %% | %.2f %% | %d x %d | %d |\n", f, k, w, f + k, f + w, r, p, l}'
if [ "${BENCH_WITHOUT_FORK:-0}" = 1 ]; then
  nf=$(median <<<"${slowdowns[floor-nofork]}")
  ne=$(median <<<"${slowdowns[exit-records]}")
  echo
  echo "| floor without the fork hook | exit, exec and signal records only | least monitor recording no fork (sum) | rounds x pairs of ${window} ms |"
  echo "|---:|---:|---:|---:|"
  awk -v f="$nf" -v k="$ne" -v r="$rounds" -v p="$pairs" \
    'BEGIN {printf "| %.2f %% | %.2f %% | %.2f %% | %d x %d |\n", f, k, f + k, r, p}'
fi
