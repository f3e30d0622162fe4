#!/usr/bin/env bash
# A Debian 12 container with a real systemd (+ logind, dbus, sshd), for tests
# that need PID 1 to be systemd: the packaged unit, logind's session stops.
#
#   container.sh build          debootstrap the rootfs once (cached, see ROOTFS)
#   container.sh start          boot an ephemeral copy in the background; wait for systemd
#   container.sh exec CMD...    run CMD inside (all of the container's namespaces)
#   container.sh cp SRC DEST    copy a host file to DEST inside the running container
#   container.sh stop           power it off; wait until nspawn has exited
#   container.sh leader         print the pid of the container's PID 1 (host pid)
#   container.sh root           print the cached rootfs path
#
# Each start boots a throwaway copy (systemd-nspawn --ephemeral): what a test
# installs or breaks inside is gone at stop, the cached rootfs stays clean,
# and several containers can run at once from it, one per
# HUPWATCH_CONTAINER_NAME (default "default"; the name picks the state in
# /run/hupwatch-test/NAME, not a machine name: there is no machined).
#
# The rootfs lives outside the repository, in $HUPWATCH_CONTAINER_ROOT
# (default /var/cache/hupwatch-test/rootfs), and is rebuilt only when the
# package list below changes. Extra packages: HUPWATCH_CONTAINER_EXTRA="a b".
# They share the host network: the rootfs's sshd listens on 127.0.0.1:2222,
# so only one container at a time should start sshd with it; a container
# started with HUPWATCH_CONTAINER_SSH_PORT=N has its sshd on 127.0.0.1:N
# from boot instead (a config bound over the rootfs's).
# The container shares the host network (no --private-network) and can load
# BPF: nspawn's seccomp filter gets bpf and perf_event_open, and the bounding
# set gets CAP_BPF and CAP_PERFMON (nspawn drops both by default).
# Root only.
set -euo pipefail

root=${HUPWATCH_CONTAINER_ROOT:-/var/cache/hupwatch-test/rootfs}
state_dir=/run/hupwatch-test/${HUPWATCH_CONTAINER_NAME:-default}
mirror=${HUPWATCH_CONTAINER_MIRROR:-}
packages=(
  systemd systemd-sysv dbus libpam-systemd openssh-server
  # hupwatch's runtime libraries, so installing the .deb needs no network
  libbpf1 libelf1 libcap2 libmicrohttpd12 libsqlite3-0 libsystemd0
  libspdlog1.10 libfmt9 zlib1g libjemalloc2
  # what the tests run inside
  curl procps iproute2 util-linux
)
packages+=(${HUPWATCH_CONTAINER_EXTRA:-})

die() { echo "container.sh: $*" >&2; exit 1; }

# The Debian mirror apt uses on this host (deb822 or one-line sources).
apt_mirror() {
  [ -n "$mirror" ] && { echo "$mirror"; return; }
  local uri
  uri=$(grep -hsE '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources | head -1 | awk '{print $2}')
  [ -z "$uri" ] && uri=$(grep -hsE '^deb .*/debian/? bookworm' /etc/apt/sources.list \
    /etc/apt/sources.list.d/*.list | head -1 | awk '{print $2}')
  echo "${uri:-http://deb.debian.org/debian}"
}

stamp() { printf '%s\n' "${packages[@]}" | sort | sha256sum | cut -c1-16; }

cmd_build() {
  local want
  want=$(stamp)
  if [ -f "$root/.hupwatch-stamp" ] && [ "$(cat "$root/.hupwatch-stamp")" = "$want" ]; then
    return 0
  fi
  command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
  command -v systemd-nspawn >/dev/null || die "systemd-nspawn is missing (apt-get install systemd-container)"
  local tmp=${root}.tmp
  rm -rf "$tmp"
  mkdir -p "$(dirname "$root")"
  echo "container.sh: debootstrap bookworm into $root (a few minutes, once)" >&2
  local list
  list=$(IFS=,; echo "${packages[*]}")
  debootstrap --variant=minbase --include="$list" bookworm "$tmp" "$(apt_mirror)" \
    >"${root}.build.log" 2>&1 || die "debootstrap failed: see ${root}.build.log"
  echo hupwatch-test >"$tmp/etc/hostname"
  # No root password, console login not needed: tests enter with nsenter.
  # Nothing restarts what a test stops on purpose; boot to multi-user.
  ln -sf /lib/systemd/system/multi-user.target "$tmp/etc/systemd/system/default.target"
  # The host network is shared: the container's sshd must not take port 22.
  mkdir -p "$tmp/etc/ssh/sshd_config.d"
  echo "Port 2222" >"$tmp/etc/ssh/sshd_config.d/hupwatch-test.conf"
  echo "ListenAddress 127.0.0.1" >>"$tmp/etc/ssh/sshd_config.d/hupwatch-test.conf"
  # apt inside uses the same mirror.
  echo "deb $(apt_mirror) bookworm main" >"$tmp/etc/apt/sources.list"
  echo "$want" >"$tmp/.hupwatch-stamp"
  rm -rf "$root"
  mv "$tmp" "$root"
}

nspawn_pid() { [ -f "$state_dir/nspawn.pid" ] && cat "$state_dir/nspawn.pid"; }

running() {
  local pid
  pid=$(nspawn_pid) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd-nspawn ]
}

# The container's PID 1 (systemd) is nspawn's only child.
cmd_leader() {
  local pid
  running || die "not running"
  pid=$(nspawn_pid)
  pgrep -P "$pid" | head -1
}

cmd_exec() {
  local leader
  leader=$(cmd_leader)
  [ -n "$leader" ] || die "no container init found"
  exec nsenter -t "$leader" -a -- "$@"
}

cmd_start() {
  [ -f "$root/.hupwatch-stamp" ] || die "no rootfs at $root: run '$0 build' first"
  running && die "already running (nspawn pid $(nspawn_pid))"
  mkdir -p "$state_dir"
  local extra=()
  if [ -n "${HUPWATCH_CONTAINER_SSH_PORT:-}" ]; then
    printf 'Port %s\nListenAddress 127.0.0.1\n' "$HUPWATCH_CONTAINER_SSH_PORT" >"$state_dir/sshd-port.conf"
    extra+=(--bind-ro="$state_dir/sshd-port.conf:/etc/ssh/sshd_config.d/hupwatch-test.conf")
  fi
  # --keep-unit/--register=no: no machined on the host (PID 1 is not systemd).
  setsid systemd-nspawn -q -D "$root" --ephemeral -b --register=no --keep-unit \
    --system-call-filter='bpf perf_event_open' \
    --capability=CAP_BPF,CAP_PERFMON,CAP_SYS_RESOURCE \
    --bind-ro=/sys/kernel/btf "${extra[@]}" \
    </dev/null >"$state_dir/console.log" 2>&1 &
  echo $! >"$state_dir/nspawn.pid"
  # Bounded wait for systemd to finish booting (degraded is fine: a unit
  # that needs hardware may fail in a container).
  local state=""
  for _ in $(seq 1 120); do
    if ! running; then
      die "systemd-nspawn exited while booting: $(tail -3 "$state_dir/console.log")"
    fi
    local leader
    leader=$(pgrep -P "$(nspawn_pid)" | head -1 || true)
    if [ -n "$leader" ]; then
      state=$(nsenter -t "$leader" -a -- systemctl is-system-running 2>/dev/null || true)
      case "$state" in running | degraded) return 0 ;; esac
    fi
    sleep 0.5
  done
  die "systemd did not finish booting in 60 s (state '$state'; $state_dir/console.log)"
}

cmd_stop() {
  running || return 0
  local pid
  pid=$(nspawn_pid)
  # SIGTERM to nspawn asks the container's systemd to power off.
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    running || { rm -f "$state_dir/nspawn.pid"; return 0; }
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$state_dir/nspawn.pid"
}

# Through the container's root as its PID 1 sees it: the ephemeral copy.
cmd_cp() {
  [ $# -eq 2 ] || die "usage: cp SRC DEST"
  install -D -m 0644 "$1" "/proc/$(cmd_leader)/root/$2"
}

[ "$(id -u)" -eq 0 ] || die "needs root"
case "${1:-}" in
  build) cmd_build ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  exec) shift; cmd_exec "$@" ;;
  cp) shift; cmd_cp "$@" ;;
  leader) cmd_leader ;;
  root) echo "$root" ;;
  *) die "usage: $0 build|start|stop|exec CMD...|cp SRC DEST|leader|root" ;;
esac
