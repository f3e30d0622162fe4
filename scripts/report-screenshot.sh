#!/usr/bin/env bash
# Makes docs/report.png, the README's picture of `hupwatch report`, from a
# real capture: `hupwatch run --db` records a pty session whose plain job is
# killed by the hangup and whose nohup'd job is orphaned
# (tests/e2e/report_e2e.py), and a headless Chromium screenshots the page.
# Needs root (BPF) and chromium (scripts/install-deps.sh); builds first if
# needed. Usage: scripts/report-screenshot.sh [OUTPUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/report.png}
build_dir=${HUPWATCH_BUILD_DIR:-build}
[ -x "$build_dir/hupwatch" ] || HUPWATCH_BUILD_DIR=$build_dir ./scripts/build.sh
python3 tests/e2e/report_e2e.py "$build_dir/hupwatch" --screenshot "$out"
echo "report-screenshot: wrote $out" >&2
