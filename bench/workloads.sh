# The workloads of bench/run.sh and bench/account.sh, sourced by both.
# Needs: cpu (the workload's CPU), other_cpu (redis-server's), seconds, build,
# work (a scratch directory), die(); sets redis to the server's pid.

# A local redis-server on the other CPU, no persistence; its client, pinned to
# $cpu, is the workload. About $seconds s per run at this VM's rate.
redis_port=$((20000 + RANDOM % 20000))
redis_requests=$((30000 * seconds))
start_redis() {
  taskset -c "$other_cpu" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
    --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
  redis=$!
  for _ in $(seq 100); do
    redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && return
    sleep 0.05
  done
  die "redis-server did not start: $(cat "$work/redis.log")"
}

# requests/s of one redis-benchmark run of test $1 (set, get).
run_redis() {
  taskset -c "$cpu" redis-benchmark -p "$redis_port" -t "$1" -n "$redis_requests" -q --csv |
    awk -F'"' -v t="${1^^}" '$2 == t {print $4 + 0}'
}

# ops/s of one run of a workload, pinned to $cpu.
run_load() {
  case $1 in
    redis_set) run_redis set ;;
    redis_get) run_redis get ;;
    *) taskset -c "$cpu" "$build/bench/$1" "$seconds" ;;
  esac
}
