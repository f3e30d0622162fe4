#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test registered in ctest:
# label "unit" (no root, no kernel) and label "bpf" (root: loads the BPF
# programs, drives real terminals, sshd and Prometheus). With CI=true a test
# that cannot load BPF fails instead of skipping. Extra arguments go to ctest
# (e.g. `-L unit`). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${CI:-}" = "true" ]; then
  export CI
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: CI=true needs root: the BPF tests must run, not skip" >&2
    exit 1
  fi
fi
./scripts/install-deps.sh --container
./scripts/build.sh

# Under CI (or HUPWATCH_EXTENDED_TESTS=1) the unit tier again under ASan +
# UBSan, and every fuzz target briefly (scripts/fuzz.sh). They run first so
# that ctest's summary stays the last line; a failure still fails the run.
# The sanitizer build is a second full build (about 40 CPU-minutes from
# scratch on this 2-CPU VM): outside CI it runs with HUPWATCH_SANITIZE_TESTS=1.
extended_status=0
if [ "${CI:-}" = "true" ] || [ "${HUPWATCH_EXTENDED_TESTS:-}" = "1" ] ||
   [ "${HUPWATCH_SANITIZE_TESTS:-}" = "1" ]; then
  asan_dir=${HUPWATCH_ASAN_BUILD_DIR:-build-asan}
  echo "test.sh: unit tests under ASan + UBSan ($asan_dir)" >&2
  # Not -Werror: GCC warns falsely (maybe-uninitialized) under -fsanitize.
  cmake -S . -B "$asan_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHUPWATCH_WERROR=OFF \
    -DHUPWATCH_SANITIZE=ON >/dev/null
  if ! { cmake --build "$asan_dir" -j"$(nproc)" --target hupwatch hupwatch_unit_tests 2>&1 |
           { grep -E ' error|Error [0-9]' || true; } &&
         ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
           ctest --test-dir "$asan_dir" -L unit -E clang_format --output-on-failure -j"$(nproc)" \
           >"$asan_dir/ctest.log" 2>&1; }; then
    tail -n 60 "$asan_dir/ctest.log" >&2
    echo "test.sh: unit tests FAILED under ASan + UBSan" >&2
    extended_status=1
  else
    echo "test.sh: $(grep -E 'tests passed' "$asan_dir/ctest.log") under ASan + UBSan" >&2
  fi
fi
if [ "${CI:-}" = "true" ] || [ "${HUPWATCH_EXTENDED_TESTS:-}" = "1" ]; then
  if ! ./scripts/fuzz.sh "${HUPWATCH_FUZZ_SECONDS:-20}"; then
    extended_status=1
  fi
fi

# -j1: the bpf tests attach host-wide probes and must not overlap.
ctest --test-dir "${HUPWATCH_BUILD_DIR:-build}" --output-on-failure -j1 "$@"
exit $extended_status
