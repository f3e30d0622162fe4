#!/usr/bin/env python3
"""Records one real pty disconnect as JSON lines, for
tests/unit/recorded_capture_test.cpp (see README.md here).

`hupwatch run --db` records while an interactive bash, session leader of a
pty this script owns, runs a plain job (`sleep 1000 &`) and a nohup'd one;
the master is closed as sshd closes it when a connection drops. Then the
session's stored lines (its events, the fork of its leader, the findings),
in recorded order, are written to OUT, and the run's clock offset and the
pids to OUT.meta.json.

Usage: record_pty_disconnect.py HUPWATCH_BINARY OUT   (as root)
"""
import ctypes
import json
import os
import shutil
import signal
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from e2e_common import (Daemon, InteractiveShell, cmdline, fail, free_port, kill_quietly,  # noqa
                        require_root, wait_for, wall_ns)

PR_SET_CHILD_SUBREAPER = 36


def main():
    if len(sys.argv) != 3:
        fail("usage: record_pty_disconnect.py HUPWATCH_BINARY OUT")
    binary, out = sys.argv[1], sys.argv[2]
    require_root()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    work = tempfile.mkdtemp(prefix="hupwatch-record-")
    db = os.path.join(work, "h.db")
    daemon = Daemon(binary, os.path.join(work, "log"),
                    ["--db", db, f"--web.listen-address=127.0.0.1:{free_port()}"])
    shell, jobs = None, []
    try:
        daemon.wait_running()
        before = wall_ns()
        shell = InteractiveShell()
        bash = shell.pid
        killed = shell.start_job("sleep 1000")
        survivor = shell.start_job("nohup sleep 1000 >/dev/null 2>&1")
        jobs = [killed, survivor]
        for pid in jobs:
            wait_for(lambda: cmdline(pid) == ["sleep", "1000"], 10, f"job {pid}")
        shell.hang_up()
        wait_for(lambda: cmdline(killed) is None, 10, "the plain job to die")
        try:
            os.waitpid(killed, 0)
        except ChildProcessError:
            pass

        def verdicts():
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
                return c.execute("SELECT count(*) FROM findings WHERE kind = 'verdict' AND sid = ?",
                                 (bash,)).fetchone()[0] >= 2
        wait_for(verdicts, 10, "both verdicts in the store")
        daemon.stop()
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            offset = c.execute("SELECT clock_offset_ns FROM runs").fetchone()[0]
            # The events in recorded order, then the findings the daemon drew.
            rows = c.execute(
                "SELECT json FROM events WHERE wall_ns >= ? AND (sid = ? OR (pid = ? AND "
                "type = 'fork')) ORDER BY id", (before, bash, bash)).fetchall()
            rows += c.execute("SELECT json FROM findings WHERE wall_ns >= ? AND sid = ? "
                              "ORDER BY id", (before, bash)).fetchall()
        with open(out, "w") as f:
            for row in rows:
                f.write(row[0] + "\n")
        with open(out + ".meta.json", "w") as f:
            json.dump({"clock_offset_ns": offset, "bash": bash, "killed": killed,
                       "survivor": survivor, "subreaper": os.getpid()}, f, indent=1)
            f.write("\n")
        print(f"recorded {len(rows)} lines to {out}")
    finally:
        if shell:
            shell.close()
        for pid in jobs:
            kill_quietly(pid)
        daemon.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
