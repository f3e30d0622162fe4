#!/usr/bin/env bash
# Installs the Debian 12 packages hupwatch needs to build, test and run.
# Idempotent: prints nothing and exits 0 when everything is there; else
# says what it installs, with a line per package set up (N/M).
# Runs as root without sudo (CI, fresh machines); as another user it only
# checks, and fails naming what is missing.
# --container: also build (once; cached outside the repository) the Debian 12
# rootfs that the systemd tests boot with systemd-nspawn (scripts/container.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
with_container=0
[ "${1:-}" = "--container" ] && with_container=1

packages=(
  # build
  build-essential cmake pkg-config clang llvm ccache clang-format
  libbpf-dev bpftool libelf-dev zlib1g-dev libcap-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libmicrohttpd-dev libsqlite3-dev sqlite3 libsystemd-dev libjemalloc-dev
  # tests: gtest, real sshd/tmux sessions, promtool and a Prometheus server,
  # curl/python3 for tests/deploy/check_deploy.sh
  libgtest-dev googletest prometheus openssh-server openssh-client tmux
  python3 curl
  # tests: a nested session under `sudo -i` (Debian's sudoers has use_pty)
  sudo
  # tests: `hupwatch report` opened in a real headless browser
  chromium
  # run and bench: taskset/mount (util-linux), pgrep (procps), ss (iproute2)
  bpftrace procps util-linux iproute2
  # package: the man page, checking the .deb; tests under a real systemd in
  # a Debian 12 container
  help2man lintian dpkg-dev debootstrap systemd-container
  # bench: the redis-benchmark workload (server and client)
  redis-server redis-tools
)

build_container() {
  [ "$with_container" -eq 1 ] || return 0
  # Only root builds it; the tests that boot it need root too.
  [ "$(id -u)" -eq 0 ] || return 0
  ./scripts/container.sh build
}

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  build_container
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run this script as root to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when some missing package has no install
# candidate (a fresh machine ships with empty lists).
needs_update=0
for p in "${missing[@]}"; do
  candidate=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then needs_update=1; break; fi
done
if [ "$needs_update" -eq 1 ]; then
  echo "install-deps: updating the package lists" >&2
  apt-get update -qq
fi
echo "install-deps: downloading and installing (with their dependencies)" >&2
# apt's own progress is one line per package set up: count them.
apt-get install -y -q --no-install-recommends "${missing[@]}" 2>&1 | {
  n=0
  while IFS= read -r line; do
    case "$line" in
      "Setting up "*) n=$((n + 1)); echo "install-deps: $n: ${line#Setting up }" >&2 ;;
      E:*) echo "$line" >&2 ;;
    esac
  done
}
echo "install-deps: done" >&2
build_container
