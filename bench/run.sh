#!/usr/bin/env bash
# Overhead of hupwatch, side by side in one run (see bench/README.md):
#   getppid() storm, redis-benchmark SET and GET, spawn storm (vfork + _exit
#   + waitpid) and unmonitored-signal storm (kill(self, SIGUSR2), ignored),
#   each
#     (a) unmonitored,
#     (b) under `hupwatch watch --json > file` (its defaults),
#     (c) under `hupwatch watch --json --syscall-results > file` (the opt-in
#         syscall hook),
#     (d) under bpftrace printing the same facts as (b) from the same
#         tracepoints (bench/bpftrace/hupwatch-equivalent.bt),
#     (e) under programs that do nothing on the tracepoints (b) attaches
#         (bench/floor.bpf.c): the floor any BPF monitor of them pays here.
# Rounds are interleaved, in an order that rotates each round; each column's
# rate is the median of its runs, and its slowdown the median of its per-round
# ratios to the unmonitored run of the same round, so drift cancels in pairs.
#
# Usage: bench/run.sh [rounds=5] [seconds-per-run=3]      (as root)
# Env:   HUPWATCH_BUILD_DIR (default build), BENCH_CPU (default 1: the CPU the
#        workload is pinned to; the monitors are not pinned; redis-server runs
#        on another CPU), BENCH_NO_BUILD=1 (measure what is built),
#        BENCH_LOADS (default "getppid_storm redis_set redis_get spawn_storm
#        kill_storm").
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
seconds=${2:-3}
build=${HUPWATCH_BUILD_DIR:-build}
cpu=${BENCH_CPU:-1}
bin=$build/hupwatch
script=bench/bpftrace/hupwatch-equivalent.bt
# hupwatch is ready when it holds a link to each program of its mode. The exit
# program is handle_exit (Linux 6.16+) or handle_exit_live: "a|b" means either.
default_programs=(handle_fork handle_exec "handle_exit|handle_exit_live" handle_signal_generate)
loads=(${BENCH_LOADS:-getppid_storm redis_set redis_get spawn_storm kill_storm})

die() { echo "bench: $*" >&2; exit 1; }
# set -e ends the script at any failing command: say where, never silently
# (a run that died mid-way without a word was a helper below returning 1).
trap 'echo "bench: stopped: line $LINENO: $BASH_COMMAND failed" >&2' ERR
[ "$(id -u)" -eq 0 ] || die "needs root (loads BPF programs)"
command -v bpftrace >/dev/null || die "bpftrace is missing (scripts/install-deps.sh)"
[ "$cpu" -lt "$(nproc)" ] || die "BENCH_CPU=$cpu but only $(nproc) CPUs"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (redis-server and its client on separate ones)"
other_cpu=$(((cpu + 1) % $(nproc)))
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null ||
  die "redis-server/redis-benchmark are missing (scripts/install-deps.sh)"

[ "${BENCH_NO_BUILD:-0}" = 1 ] || ./scripts/build.sh >&2
for exe in "$bin" "$build/bench/spawn_storm" "$build/bench/kill_storm" "$build/bench/getppid_storm" \
  "$build/bench/empty_hooks"; do
  [ -x "$exe" ] || die "the build did not produce $exe"
done

# bpftrace 0.17 has no rawtracepoint: probes, and its tracepoint: probes read
# the event formats from tracefs, which Debian does not always mount.
if [ ! -e /sys/kernel/tracing/events/sched ]; then
  mount -t tracefs nodev /sys/kernel/tracing || die "cannot mount tracefs (bpftrace needs it)"
fi

work=$(mktemp -d /tmp/hupwatch-bench.XXXXXX)
mon=
redis=
cleanup() {
  if [ -n "$mon" ] && kill -0 "$mon" 2>/dev/null; then kill -INT "$mon"; wait "$mon" || true; fi
  if [ -n "$redis" ]; then kill "$redis" 2>/dev/null; wait "$redis" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Other tracing programs already loaded slow every column, the baseline too.
others=$(bpftool prog show 2>/dev/null | grep -cE '^[0-9]+: (tracing|raw_tracepoint|tracepoint)' || true)

# shellcheck source=bench/workloads.sh
. bench/workloads.sh
# shellcheck source=bench/held_map.sh
. bench/held_map.sh

# Names of the BPF programs that process $1 holds attached links to.
attached_programs() {
  local fd info id
  for fd in /proc/"$1"/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:bpf_link" ] || continue
    info=/proc/"$1"/fdinfo/${fd##*/}
    id=$(awk '/^prog_id:/ {print $2}' "$info" 2>/dev/null) || continue
    [ -n "$id" ] && bpftool prog show id "$id" 2>/dev/null | sed -n 's/.* name \([^ ]*\) .*/\1/p'
  done
  # An fd closed or without a prog_id while we read (hupwatch is still
  # loading) is no failure: the caller polls again.
  return 0
}

# Reservation failures (keys 0..HW_EV_TYPE_MAX-1 of stats), summed over CPUs.
lost_in_map() {
  bpftool map dump id "$1" 2>/dev/null | awk '
    /"key":/ {key = $2 + 0}
    /"value":/ && key < 8 {gsub(/[^0-9]/, "", $2); sum += $2}
    END {print sum + 0}'
}

# Independent of hupwatch's own output: ready when all the programs are
# attached. $@: extra options (--syscall-results adds handle_sys_exit).
start_hupwatch() {
  local programs=("${default_programs[@]}")
  [ "$*" = --syscall-results ] && programs+=(handle_sys_exit)
  "$bin" watch --json "$@" >"$work/hw.json" 2>"$work/hw.err" &
  mon=$!
  local attached p missing
  for _ in $(seq 300); do
    kill -0 "$mon" 2>/dev/null || die "hupwatch watch exited before attaching: $(cat "$work/hw.err")"
    attached=$(attached_programs "$mon" | sort -u)
    missing=0
    for p in "${programs[@]}"; do grep -qxE "$p" <<<"$attached" || missing=1; done
    [ "$missing" -eq 0 ] && { hw_map=$(held_map_id "$mon" stats); return; }
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
# The slowdown of one column: the median over rounds of 1 - mode/base, each
# round's pair measured minutes apart at most, so the machine's drift (±15 %
# between runs here) cancels inside a pair instead of between column medians.
# $1, $2: one rate per round, in round order (each column runs once a round).
paired_slowdown() {
  paste -d' ' <(tr ' ' '\n' <<<"$1" | grep .) <(tr ' ' '\n' <<<"$2" | grep .) |
    awk '{print (1 - $2 / $1) * 100}' | median
}

# A distribution-free 90 % confidence interval of that median: the order
# statistics k and n+1-k of the per-round ratios, k = (n - 1.645 sqrt(n)) / 2
# (the sign test's normal approximation), so the table says what the noise
# lets a column's slowdown be told from zero or from the floor.
paired_ci() {
  paste -d' ' <(tr ' ' '\n' <<<"$1" | grep .) <(tr ' ' '\n' <<<"$2" | grep .) |
    awk '{print (1 - $2 / $1) * 100}' | sort -n | awk '{a[NR] = $1} END {
      k = int((NR - 1.645 * sqrt(NR)) / 2); if (k < 1) k = 1
      printf "%.1f .. %.1f %%", a[k], a[NR + 1 - k] }'
}

declare -A ops lost
# Columns left out by BENCH_MODES print as 0.
med_base=0 med_hw=0 med_hwsys=0 med_bt=0 med_floor=0
slow_hw=0 slow_hwsys=0 slow_bt=0 slow_floor=0
# BENCH_MODES picks columns (a shorter run); the table keeps their order.
read -r -a modes <<< "${BENCH_MODES:-base hw hwsys bt floor}"
nmodes=${#modes[@]}
case " ${loads[*]} " in *" redis_"*) start_redis ;; esac
for load in "${loads[@]}"; do
  lost[$load,hw]=0
  lost[$load,hwsys]=0
  lost[$load,bt]=0
  for r in $(seq "$rounds"); do
    for i in $(seq 0 $((nmodes - 1))); do
      mode=${modes[$(((i + r) % nmodes))]}
      case $mode in
        base) result=$(run_load "$load") ;;
        hw | hwsys)
          if [ "$mode" = hw ]; then start_hupwatch; else start_hupwatch --syscall-results; fi
          result=$(run_load "$load")
          stop_hupwatch
          lost[$load,$mode]=$((${lost[$load,$mode]} + run_lost)) ;;
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
      [ -n "$result" ] || die "$load ($mode) printed no rate"
      ops[$load,$mode]+="$result "
      echo "bench: $load round $r $mode: $result ops/s" >&2
    done
  done
done

echo "| workload | unmonitored ops/s | hupwatch (defaults) ops/s | slowdown | hupwatch --syscall-results ops/s | slowdown | bpftrace ops/s | slowdown | empty programs: slowdown (floor) | events lost (defaults / --syscall-results / bpftrace) | hupwatch slowdown, 90 % CI |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for load in "${loads[@]}"; do
  case $load in
    getppid_storm) name="getppid() storm (the tax on every syscall)" ;;
    redis_set) name="redis-benchmark SET (requests/s)" ;;
    redis_get) name="redis-benchmark GET (requests/s)" ;;
    spawn_storm) name="spawn storm (vfork + _exit + waitpid)" ;;
    kill_storm) name="unmonitored-signal storm (kill SIGUSR2, ignored)" ;;
    *) name=$load ;;
  esac
  for mode in "${modes[@]}"; do
    declare "med_$mode=$(tr ' ' '\n' <<<"${ops[$load,$mode]}" | grep . | median)"
    declare "slow_$mode=0"
    [ "$mode" = base ] || declare "slow_$mode=$(paired_slowdown "${ops[$load,base]}" "${ops[$load,$mode]}")"
  done
  ci_hw=-
  [ -n "${ops[$load,hw]:-}" ] && ci_hw=$(paired_ci "${ops[$load,base]}" "${ops[$load,hw]}")
  awk -v n="$name" -v b="$med_base" -v h="$med_hw" -v s="$med_hwsys" -v t="$med_bt" \
    -v sh="$slow_hw" -v ss="$slow_hwsys" -v st="$slow_bt" -v sf="$slow_floor" \
    -v lh="${lost[$load,hw]}" -v ls="${lost[$load,hwsys]}" -v lb="${lost[$load,bt]}" -v ci="$ci_hw" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.1f %% | %.0f | %.1f %% | %.0f | %.1f %% | %.1f %% | %d / %d / %d | %s |\n",
             n, b, h, sh, s, ss, t, st, sf, lh, ls, lb, ci }'
done
echo
echo "ops/s: median of $rounds interleaved runs of ${seconds} s each; slowdown: median of the $rounds per-round paired ratios (1 - monitored / unmonitored in the same round); workload pinned to CPU $cpu, monitors unpinned," \
  "redis-server on CPU $other_cpu; $(nproc) CPUs; kernel $(uname -r); $(bpftrace --version); $(redis-server --version | cut -d' ' -f1-3)."
if [ "$others" -gt 0 ]; then
  echo "Note: $others other tracing programs were loaded on this host during the run; they slow every column."
fi
