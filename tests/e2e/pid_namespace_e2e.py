#!/usr/bin/env python3
"""Outside the host's pid namespace hupwatch refuses to start, with one line
that says how to run it, and exit code 16 (docs/cli.md): BPF numbers
processes as the initial namespace does, /proc there would not.

Checks `run` and `watch` (refused) and `check` (still loads and attaches,
then reports the namespace, exit 16) in a new
pid namespace with its own /proc (unshare --pid --fork --mount-proc), as
root, so that no other check fails first.

Usage: pid_namespace_e2e.py HUPWATCH_BINARY   (as root)
"""
import shutil
import subprocess
import sys

from e2e_common import fail, ok, require_root, skip_or_fail

EXIT_NOT_INITIAL_PID_NAMESPACE = 16


def in_new_pid_namespace(binary, *args):
    return subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", binary, *args],
                          capture_output=True, text=True, timeout=30)


def main():
    binary = sys.argv[1]
    require_root()
    if not shutil.which("unshare"):
        skip_or_fail("unshare (util-linux) is missing")
    for args in (["run", "--no-db", "--web.listen-address", "127.0.0.1:0"], ["watch"]):
        result = in_new_pid_namespace(binary, *args)
        lines = result.stderr.strip().splitlines()
        if result.returncode != EXIT_NOT_INITIAL_PID_NAMESPACE:
            fail(f"{args[0]} in a new pid namespace exited {result.returncode}, expected 16: "
                 f"{result.stderr.strip()!r}")
        if len(lines) != 1 or "host's pid namespace" not in lines[0] \
                or "hostPID" not in lines[0]:
            fail(f"{args[0]}: expected one line naming the host pid namespace: {lines}")
        ok(f"{args[0]} refused: {lines[0]}")
    result = in_new_pid_namespace(binary, "check")
    if result.returncode != EXIT_NOT_INITIAL_PID_NAMESPACE or \
            "a container's (needs the host's)  <- problem" not in result.stdout or \
            "loaded and attached" not in result.stdout:
        fail(f"check exited {result.returncode}: {result.stdout!r} {result.stderr!r}")
    ok("check reports the pid namespace as the problem (BPF itself loads), exit 16")
    result = subprocess.run([binary, "check"], capture_output=True, text=True, timeout=60)
    if "initial (host)" not in result.stdout:
        fail(f"check on the host does not report the initial namespace: {result.stdout!r}")
    ok("check on the host: pid namespace initial (host)")


main()
