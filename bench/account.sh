#!/usr/bin/env bash
# What hupwatch itself spends while a workload runs, counted rather than
# inferred from the workload's rate (see bench/README.md, "Accounted cost"):
#   - its BPF programs: runs and nanoseconds, from the kernel's bpf_stats
#     (kernel.bpf_stats_enabled, on only for the run and restored after);
#   - its daemon: on-CPU nanoseconds of all its threads (/proc/PID/task/*/schedstat).
# A workload's slowdown cannot exceed what the monitor takes from the CPUs it
# runs on, so this bounds the slowdown where bench/run.sh's paired ratios are
# too noisy to resolve it (redis-benchmark here: ±20 % from run to run).
#
# Usage: bench/account.sh [seconds=5]      (as root)
# Env:   HUPWATCH_BUILD_DIR (default build), BENCH_CPU (default 1),
#        BENCH_LOADS (default "getppid_storm redis_set redis_get spawn_storm kill_storm"),
#        HUPWATCH_ARGS (extra arguments for hupwatch watch, e.g. --syscall-results).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
build=${HUPWATCH_BUILD_DIR:-build}
cpu=${BENCH_CPU:-1}
loads=(${BENCH_LOADS:-getppid_storm redis_set redis_get spawn_storm kill_storm})
die() { echo "account: $*" >&2; exit 1; }
trap 'echo "account: stopped: line $LINENO: $BASH_COMMAND failed" >&2' ERR
[ "$(id -u)" -eq 0 ] || die "needs root"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs"
other_cpu=$(((cpu + 1) % $(nproc)))

work=$(mktemp -d /tmp/hupwatch-account.XXXXXX)
mon=
redis=
stats_before=$(cat /proc/sys/kernel/bpf_stats_enabled)
cleanup() {
  echo "$stats_before" >/proc/sys/kernel/bpf_stats_enabled
  if [ -n "$mon" ] && kill -0 "$mon" 2>/dev/null; then kill -INT "$mon"; wait "$mon" || true; fi
  if [ -n "$redis" ]; then kill "$redis" 2>/dev/null; wait "$redis" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=bench/workloads.sh
. bench/workloads.sh

# "runs ns" summed over the programs process $1 holds links to.
program_totals() {
  local fd id runs=0 ns=0 r n
  for fd in /proc/"$1"/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:bpf_link" ] || continue
    id=$(awk '/^prog_id:/ {print $2}' /proc/"$1"/fdinfo/"${fd##*/}" 2>/dev/null) || continue
    [ -n "$id" ] || continue
    r= n=
    read -r n r < <(bpftool prog show id "$id" 2>/dev/null |
      sed -n 's/.*run_time_ns \([0-9]*\) run_cnt \([0-9]*\).*/\1 \2/p') || true
    [ -n "${r:-}" ] || continue
    runs=$((runs + r)); ns=$((ns + n))
  done
  echo "$runs $ns"
}
# On-CPU nanoseconds of every thread of process $1.
daemon_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {print s + 0}'; }

start_hupwatch() {
  # shellcheck disable=SC2086
  "$build/hupwatch" watch --json ${HUPWATCH_ARGS:-} >"$work/hw.json" 2>"$work/hw.err" &
  mon=$!
  for _ in $(seq 300); do
    kill -0 "$mon" 2>/dev/null || die "hupwatch exited: $(cat "$work/hw.err")"
    grep -q '^hupwatch: watching' "$work/hw.err" && return
    sleep 0.05
  done
  die "hupwatch did not start within 15 s"
}

case " ${loads[*]} " in *" redis_"*) start_redis ;; esac
echo 1 >/proc/sys/kernel/bpf_stats_enabled
echo "| workload | ops/s | hook runs /s | ns per run | ns in programs /s | daemon on-CPU ns /s | accounted: % of one CPU |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for load in "${loads[@]}"; do
  start_hupwatch
  read -r runs0 ns0 < <(program_totals "$mon")
  d0=$(daemon_ns "$mon")
  t0=$(date +%s%N)
  rate=$(run_load "$load")
  t1=$(date +%s%N)
  read -r runs1 ns1 < <(program_totals "$mon")
  d1=$(daemon_ns "$mon")
  kill -INT "$mon"; wait "$mon" || die "hupwatch failed: $(cat "$work/hw.err")"; mon=
  awk -v l="$load" -v rate="$rate" -v runs=$((runs1 - runs0)) -v ns=$((ns1 - ns0)) \
    -v dn=$((d1 - d0)) -v t=$((t1 - t0)) 'BEGIN {
      s = t / 1e9
      printf "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.3f %% |\n", l, rate, runs / s,
        runs ? ns / runs : 0, ns / s, dn / s, (ns + dn) / t * 100 }'
done
echo
echo "One run of ${seconds} s per workload under \`hupwatch watch --json ${HUPWATCH_ARGS:-}\`, workload pinned to CPU $cpu;" \
  "bpf_stats on during the runs (it adds its own clock reads to each hook run); kernel $(uname -r)."
