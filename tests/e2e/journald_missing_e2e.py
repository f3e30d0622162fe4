#!/usr/bin/env python3
"""`hupwatch run --events.journald` on a host without journald's socket
(issue 15: it started without a word and dropped every finding).

With the socket path absent, the daemon must say so in one line at start,
keep running, and count each finding the journal could not take: a real
pty disconnect (an interactive bash on a pty we own, hung up) makes a
disconnect finding, and hupwatch_journald_errors_total rises with it.
Skips (fails under CI) on a host that has a journal.

Usage: journald_missing_e2e.py HUPWATCH_BINARY   (as root)
"""
import os
import re
import shutil
import sys
import tempfile
import urllib.request

from e2e_common import (Daemon, InteractiveShell, fail, free_port, ok, require_root,
                        skip_or_fail, wait_for)

SOCKET = "/run/systemd/journal/socket"


def errors(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        found = re.search(r"^hupwatch_journald_errors_total (\S+)$", reply.read().decode(), re.M)
    return float(found.group(1)) if found else None


def main():
    require_root()
    binary = os.path.abspath(sys.argv[1])
    if os.path.exists(SOCKET):
        skip_or_fail(f"{SOCKET} exists: this host has a journal")
    work = tempfile.mkdtemp(prefix="hupwatch-journald-")
    port = free_port()
    daemon = Daemon(binary, os.path.join(work, "run.log"),
                    ["--events.journald", "--no-db", f"--web.listen-address=127.0.0.1:{port}"])
    shell = None
    try:
        daemon.wait_running()
        said = daemon.output().count(f"no journald socket at {SOCKET}")
        if said != 1:
            fail(f"the missing journal was said {said} times, want once: {daemon.output()!r}")
        before = errors(port)
        if before is None:
            fail("hupwatch_journald_errors_total is not exported")
        shell = InteractiveShell()
        shell.hang_up()
        wait_for(lambda: (errors(port) or 0) > before, 20,
                 "the disconnect's lost journal entry to be counted")
        daemon.stop()
        if sum("journald" in line for line in daemon.output().splitlines()) != 1:
            fail(f"the failures were logged again: {daemon.output()!r}")
        ok("said once at start, kept running, counted the findings journald could not take")
    finally:
        if shell:
            shell.close()
        daemon.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
