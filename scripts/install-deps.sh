#!/usr/bin/env bash
# Installs the Debian 12 packages hupwatch needs to build, test and run.
# Idempotent and quiet: prints nothing when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang llvm
  libbpf-dev bpftool libelf-dev zlib1g-dev libcap-dev
  libspdlog-dev libfmt-dev libgtest-dev googletest libcli11-dev nlohmann-json3-dev
  libmicrohttpd-dev libsqlite3-dev sqlite3 libsystemd-dev
  prometheus openssh-server openssh-client tmux bpftrace
  procps util-linux iproute2 python3 curl
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root (sudo ./scripts/...)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have empty package lists; refresh them once.
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian prometheus package starts a service where systemd runs; tests
# start their own server, so a packaged one is not needed.
