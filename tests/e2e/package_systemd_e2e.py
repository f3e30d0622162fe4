#!/usr/bin/env python3
"""The Debian package under a real systemd (root): a Debian 12 container
booted with systemd-nspawn (scripts/container.sh), the package installed
there with dpkg -i.

- The maintainer scripts enable and start hupwatch.service (systemd is PID 1
  there: /run/systemd/system exists).
- The hardened unit runs the binary for real: DynamicUser, the ambient
  capabilities, the syscall filter and the sandbox let it start, and it
  reaches its preflight, which refuses the container's pid namespace with
  exit 16 and its one line (docs/deploy.md, "Containers"); the unit stops
  there (RestartPreventExitStatus), not in a restart loop.
- dpkg -r stops and disables it and leaves none of its files; dpkg -P
  removes its state.

Usage: package_systemd_e2e.py SOURCE_DIR BUILD_DIR
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import fail, ok, require_root, skip_or_fail, wait_for  # noqa: E402

SOURCE, BUILD = sys.argv[1], sys.argv[2]
CONTAINER = os.path.join(SOURCE, "scripts/container.sh")


def run(*args, check=True, timeout=120, **kw):
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    if check and result.returncode != 0:
        fail(f"{' '.join(args)} exited {result.returncode}: "
             f"{(result.stderr or result.stdout).strip()[-800:]}")
    return result


def inside(*args, check=True):
    return run(CONTAINER, "exec", *args, check=check)


def unit_property(name):
    return inside("systemctl", "show", "-P", name, "hupwatch.service").stdout.strip()


def check_bpf_in_the_sandbox():
    """The unit's own sandbox (user, capabilities, syscall filter, mounts),
    running `hupwatch check` instead of `run`: check loads and attaches every
    program even where the pid namespace stops `run`."""
    dropin = "/etc/systemd/system/hupwatch.service.d/check.conf"
    inside("sh", "-c", f"mkdir -p {os.path.dirname(dropin)} && printf '%s\\n' '[Service]' "
           "'ExecStart=' 'ExecStart=/usr/sbin/hupwatch check' > " + dropin)
    inside("systemctl", "daemon-reload")
    inside("systemctl", "reset-failed", "hupwatch")
    inside("systemctl", "start", "hupwatch")
    wait_for(lambda: unit_property("ActiveState") in ("failed", "inactive"), 60,
             "hupwatch check in the unit's sandbox to finish")
    log = inside("journalctl", "-u", "hupwatch", "-o", "cat", "--no-pager").stdout
    if "loaded and attached" not in log:
        fail(f"hupwatch check in the unit's sandbox did not load BPF: {log[-800:]!r}")
    inside("rm", "-rf", os.path.dirname(dropin))
    inside("systemctl", "daemon-reload")
    ok("in the unit's sandbox (DynamicUser, ambient capabilities, @system-service bpf): "
       "every BPF program loaded and attached")


def main():
    require_root()
    for tool in ("systemd-nspawn", "debootstrap", "cpack", "help2man"):
        if not shutil.which(tool):
            skip_or_fail(f"{tool} is missing (scripts/install-deps.sh)")
    root = run(CONTAINER, "root").stdout.strip()
    if not os.path.exists(os.path.join(root, ".hupwatch-stamp")):
        skip_or_fail(f"no container rootfs at {root} (scripts/install-deps.sh --container)")
    env = dict(os.environ, HUPWATCH_BUILD_DIR=BUILD, HUPWATCH_NO_LINTIAN="1")
    # Builds only what is out of date: nothing, after the suite's build.
    deb = run(os.path.join(SOURCE, "scripts/package.sh"), env=env, timeout=600).stdout.strip()
    run(CONTAINER, "start")
    try:
        run(CONTAINER, "cp", deb, "/root/hupwatch.deb")
        inside("dpkg", "-i", "/root/hupwatch.deb")
        if inside("systemctl", "is-enabled", "hupwatch").stdout.strip() != "enabled":
            fail("postinst did not enable hupwatch.service")
        # Started by postinst; it attaches nothing here and stops for good.
        wait_for(lambda: unit_property("ActiveState") == "failed", 30,
                 "hupwatch.service to stop on its preflight")
        status, result = unit_property("ExecMainStatus"), unit_property("Result")
        if status != "16" or result != "exit-code":
            fail(f"hupwatch.service ended with status {status} ({result}), expected 16")
        user = unit_property("DynamicUser")
        if user != "yes":
            fail(f"the unit runs without DynamicUser: {user!r}")
        restarts = unit_property("NRestarts")
        if restarts != "0":
            fail(f"the unit restarted {restarts} times on a refusal that cannot heal")
        log = inside("journalctl", "-u", "hupwatch", "-o", "cat", "--no-pager").stdout
        if "runs only in the host's pid namespace" not in log:
            fail(f"the journal lacks the refusal line: {log[-600:]!r}")
        ok("dpkg -i under systemd: enabled, started as a DynamicUser with the sandbox; "
           "refused the container's pid namespace with exit 16, no restart loop")
        check_bpf_in_the_sandbox()
        files = inside("dpkg", "-L", "hupwatch").stdout.split()
        inside("dpkg", "-r", "hupwatch")
        # Files and links of the package (not directories: /lib is a link
        # to usr/lib here), and any enablement link.
        still_there = ('for p in "$@"; do [ -d "$p" ] && continue; '
                       '{ [ -e "$p" ] || [ -L "$p" ]; } && echo "$p"; done; '
                       'ls /etc/systemd/system/*/hupwatch.service 2>/dev/null; true')
        left = inside("sh", "-c", still_there, "sh", *files).stdout.split()
        if left:
            fail(f"dpkg -r left files in the container: {left}")
        if inside("systemctl", "is-enabled", "hupwatch", check=False).returncode == 0:
            fail("hupwatch.service is still enabled after dpkg -r")
        inside("dpkg", "-P", "hupwatch")
        gone = inside("sh", "-c", "ls -d /var/lib/hupwatch /var/lib/private/hupwatch "
                      "/var/log/hupwatch /var/log/private/hupwatch 2>/dev/null; true").stdout
        if gone.strip():
            fail(f"dpkg -P left state: {gone.split()}")
        ok("dpkg -r: nothing left, unit gone; dpkg -P: state gone")
    finally:
        run(CONTAINER, "stop", check=False)


main()
