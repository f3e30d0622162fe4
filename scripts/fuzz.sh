#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan, and
# runs each for SECONDS (default 60). Seeds come from tests/fuzz/corpus/NAME
# plus seeds the targets make from the shared headers; new inputs go to a
# scratch corpus, so the repository is not written. A crash leaves its input
# in $HUPWATCH_FUZZ_DIR/NAME/ (printed) and fails the script.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build_dir=${HUPWATCH_FUZZ_BUILD_DIR:-build-fuzz}
work=${HUPWATCH_FUZZ_DIR:-$(mktemp -d /tmp/hupwatch-fuzz.XXXXXX)}
targets=("$@")
[ ${#targets[@]} -eq 0 ] &&
  targets=(record_decoder arguments metrics_request store_reader json_roundtrip query_protocol)

echo "fuzz: building ${targets[*]} in $build_dir (clang, ASan, UBSan)" >&2
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHUPWATCH_FUZZ=ON -DHUPWATCH_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]/%/_fuzz}" 2>&1 |
  { grep -E 'error|warning' || true; }

# Leaks at exit are not a parser's bug here (the static endpoint, sqlite's
# caches); everything else ASan finds is.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for t in "${targets[@]}"; do
  bin=$build_dir/tests/fuzz/${t}_fuzz
  corpus=$work/$t/corpus
  mkdir -p "$corpus" "$work/$t/artifacts"
  cp tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  case $t in
    record_decoder) HUPWATCH_FUZZ_MAKE_SEED=$corpus "$bin" ;;
    store_reader) HUPWATCH_FUZZ_MAKE_SEED=$corpus/seed.db "$bin" ;;
  esac
  echo "fuzz: $t for ${seconds}s ($(ls "$corpus" | wc -l) seeds)" >&2
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$work/$t/artifacts/" -print_final_stats=1 "$corpus" \
      >"$work/$t/log" 2>&1; then
    echo "fuzz: $t FAILED; input and log in $work/$t/" >&2
    tail -40 "$work/$t/log" >&2
    status=1
  else
    echo "fuzz: $t ok: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/$t/log" | grep -Eo '[0-9]+$') runs" >&2
  fi
done
exit $status
