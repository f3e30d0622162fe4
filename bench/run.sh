#!/usr/bin/env bash
# Overhead of hupwatch, side by side in one run (see bench/README.md):
#   spawn storm (vfork + _exit + waitpid) and unmonitored-signal storm
#   (kill(self, SIGUSR2), ignored), each
#     (a) unmonitored,
#     (b) under `hupwatch watch --json > file`,
#     (c) under bpftrace printing the same facts from the same tracepoints
#         (bench/bpftrace/hupwatch-equivalent.bt),
#     (d) under programs that do nothing on the same tracepoints
#         (bench/floor.bpf.c): the floor any BPF monitor of them pays here.
# Rounds are interleaved, in an order that rotates each round, and the median
# of each column is reported, so drift on the machine hits all columns alike.
#
# Usage: bench/run.sh [rounds=5] [seconds-per-run=3]      (as root)
# Env:   HUPWATCH_BUILD_DIR (default build), BENCH_CPU (default 1: the CPU the
#        workload is pinned to; the monitors are not pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
seconds=${2:-3}
build=${HUPWATCH_BUILD_DIR:-build}
cpu=${BENCH_CPU:-1}
bin=$build/hupwatch
script=bench/bpftrace/hupwatch-equivalent.bt
# The programs both monitors attach; hupwatch is ready when it holds a link to each.
programs=(handle_fork handle_exec handle_exit handle_signal_generate handle_sys_exit)

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (loads BPF programs)"
command -v bpftrace >/dev/null || die "bpftrace is missing (scripts/install-deps.sh)"
[ "$cpu" -lt "$(nproc)" ] || die "BENCH_CPU=$cpu but only $(nproc) CPUs"

./scripts/build.sh >&2
for exe in "$bin" "$build/bench/spawn_storm" "$build/bench/kill_storm" "$build/bench/empty_hooks"; do
  [ -x "$exe" ] || die "the build did not produce $exe"
done

# bpftrace 0.17 has no rawtracepoint: probes, and its tracepoint: probes read
# the event formats from tracefs, which Debian does not always mount.
if [ ! -e /sys/kernel/tracing/events/sched ]; then
  mount -t tracefs nodev /sys/kernel/tracing || die "cannot mount tracefs (bpftrace needs it)"
fi

work=$(mktemp -d /tmp/hupwatch-bench.XXXXXX)
mon=
cleanup() {
  if [ -n "$mon" ] && kill -0 "$mon" 2>/dev/null; then kill -INT "$mon"; wait "$mon" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Other tracing programs already loaded slow every column, the baseline too.
others=$(bpftool prog show 2>/dev/null | grep -cE '^[0-9]+: (tracing|raw_tracepoint|tracepoint)' || true)

# ops/s of one run of a workload, pinned to $cpu.
run_load() { taskset -c "$cpu" "$build/bench/$1" "$seconds"; }

# Names of the BPF programs that process $1 holds attached links to.
attached_programs() {
  local fd info id
  for fd in /proc/"$1"/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:bpf_link" ] || continue
    info=/proc/"$1"/fdinfo/${fd##*/}
    id=$(awk '/^prog_id:/ {print $2}' "$info" 2>/dev/null) || continue
    [ -n "$id" ] && bpftool prog show id "$id" 2>/dev/null | sed -n 's/.* name \([^ ]*\) .*/\1/p'
  done
}

# Id of the map named `stats` that process $1 holds, for the loss count.
stats_map_of() {
  local fd id
  for fd in /proc/"$1"/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:bpf-map" ] || continue
    id=$(awk '/^map_id:/ {print $2}' /proc/"$1"/fdinfo/"${fd##*/}" 2>/dev/null)
    [ -n "$id" ] && bpftool map show id "$id" 2>/dev/null | grep -q " name stats " && { echo "$id"; return; }
  done
}

# Reservation failures (keys 0..HW_EV_TYPE_MAX-1 of stats), summed over CPUs.
lost_in_map() {
  bpftool map dump id "$1" 2>/dev/null | awk '
    /"key":/ {key = $2 + 0}
    /"value":/ && key < 8 {gsub(/[^0-9]/, "", $2); sum += $2}
    END {print sum + 0}'
}

# Independent of hupwatch's own output: ready when all the programs are attached.
start_hupwatch() {
  "$bin" watch --json >"$work/hw.json" 2>"$work/hw.err" &
  mon=$!
  local attached p missing
  for _ in $(seq 300); do
    kill -0 "$mon" 2>/dev/null || die "hupwatch watch exited before attaching: $(cat "$work/hw.err")"
    attached=$(attached_programs "$mon" | sort -u)
    missing=0
    for p in "${programs[@]}"; do grep -qx "$p" <<<"$attached" || missing=1; done
    [ "$missing" -eq 0 ] && { hw_map=$(stats_map_of "$mon"); return; }
    sleep 0.05
  done
  die "hupwatch watch did not attach ${programs[*]} within 15 s: $(cat "$work/hw.err")"
}

# Sets run_lost to the events lost in the kernel during this run: hupwatch's
# exit summary ("...; K lost in the kernel..."), else the stats map read
# before stopping. Not called in $(...): wait needs the monitor as a child.
stop_hupwatch() {
  local from_map=0 from_summary
  [ -n "${hw_map:-}" ] && from_map=$(lost_in_map "$hw_map")
  kill -INT "$mon"
  wait "$mon" || die "hupwatch watch failed: $(cat "$work/hw.err")"
  mon=
  from_summary=$(sed -n 's/.*; \([0-9]*\) lost in the kernel.*/\1/p' "$work/hw.err" | tail -1)
  [ -s "$work/hw.json" ] || die "hupwatch watch wrote no events"
  run_lost=${from_summary:-$from_map}
}

# Starts "$@" in the background as the monitor, its output in $work/$name.out
# and .err, and returns once stdout has a line matching $ready.
start_until_line() {
  local name=$1 ready=$2 limit=$3; shift 3
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  mon=$!
  for _ in $(seq "$limit"); do
    kill -0 "$mon" 2>/dev/null || die "$name exited before attaching: $(cat "$work/$name.err")"
    grep -q "$ready" "$work/$name.out" 2>/dev/null && return
    sleep 0.05
  done
  die "$name did not attach within $((limit / 20)) s: $(cat "$work/$name.err")"
}

# The script's BEGIN prints "bpftrace: attached": bpftrace fires BEGIN only
# after every probe is attached.
start_bpftrace() { start_until_line bt '^bpftrace: attached' 600 bpftrace "$script"; }

# Sets run_lost to the events bpftrace reports lost ("Lost N events": its
# perf buffer was full).
stop_bpftrace() {
  kill -INT "$mon"
  wait "$mon" || die "bpftrace failed: $(cat "$work/bt.err")"
  mon=
  run_lost=$(cat "$work/bt.out" "$work/bt.err" | awk '/Lost [0-9]+ events/ {
    for (i = 1; i < NF; i++) if ($i == "Lost") sum += $(i + 1) } END {print sum + 0}')
}

# The empty programs print "empty_hooks: attached" once all are attached.
start_floor() { start_until_line floor '^empty_hooks: attached' 300 "$build/bench/empty_hooks"; }

stop_floor() {
  kill -INT "$mon"
  wait "$mon" || die "empty_hooks failed: $(cat "$work/floor.err")"
  mon=
}

median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

declare -A ops lost
modes=(base hw bt floor)
for load in spawn_storm kill_storm; do
  lost[$load,hw]=0
  lost[$load,bt]=0
  for r in $(seq "$rounds"); do
    for i in 0 1 2 3; do
      mode=${modes[$(((i + r) % 4))]}
      case $mode in
        base) result=$(run_load "$load") ;;
        hw)
          start_hupwatch
          result=$(run_load "$load")
          stop_hupwatch
          lost[$load,hw]=$((${lost[$load,hw]} + run_lost)) ;;
        bt)
          start_bpftrace
          result=$(run_load "$load")
          stop_bpftrace
          lost[$load,bt]=$((${lost[$load,bt]} + run_lost)) ;;
        floor)
          start_floor
          result=$(run_load "$load")
          stop_floor ;;
      esac
      ops[$load,$mode]+="$result "
      echo "bench: $load round $r $mode: $result ops/s" >&2
    done
  done
done

echo "| workload | unmonitored ops/s | hupwatch ops/s | hupwatch slowdown | bpftrace ops/s | bpftrace slowdown | empty programs: slowdown (floor) | events lost (hupwatch / bpftrace) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for load in spawn_storm kill_storm; do
  case $load in
    spawn_storm) name="spawn storm (vfork + _exit + waitpid)" ;;
    kill_storm) name="unmonitored-signal storm (kill SIGUSR2, ignored)" ;;
  esac
  base=$(tr ' ' '\n' <<<"${ops[$load,base]}" | grep . | median)
  hw=$(tr ' ' '\n' <<<"${ops[$load,hw]}" | grep . | median)
  bt=$(tr ' ' '\n' <<<"${ops[$load,bt]}" | grep . | median)
  fl=$(tr ' ' '\n' <<<"${ops[$load,floor]}" | grep . | median)
  awk -v n="$name" -v b="$base" -v h="$hw" -v t="$bt" -v f="$fl" -v lh="${lost[$load,hw]}" -v lb="${lost[$load,bt]}" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.1f %% | %.0f | %.1f %% | %.1f %% | %d / %d |\n", n, b, h, (1 - h / b) * 100, t, (1 - t / b) * 100, (1 - f / b) * 100, lh, lb }'
done
echo
echo "Median of $rounds interleaved runs of ${seconds} s each; workload pinned to CPU $cpu, monitors unpinned;" \
  "$(nproc) CPUs; kernel $(uname -r); $(bpftrace --version)."
if [ "$others" -gt 0 ]; then
  echo "Note: $others other tracing programs were loaded on this host during the run; they slow every column."
fi
