#!/usr/bin/env python3
"""hupwatch run and its signals, as an operator (or logrotate) uses them.

- SIGHUP never kills the daemon: it reopens --events.json, so after an
  external rename new lines go to a fresh file at the configured path;
- SIGTERM stops it with exit 0 and every sink flushed: the exec of a process
  started just before the SIGTERM is in the file;
- a SIGHUP and then a SIGTERM during start-up (while it loads BPF) neither
  kill it by signal: it stops through the clean path, exit 0.

Usage: run_signals_e2e.py HUPWATCH_BINARY   (as root)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from e2e_common import Daemon, fail, free_port, ok, require_root, wait_for


def execs_with(path, marker):
    if not os.path.exists(path):
        return []
    found = []
    with open(path) as f:
        for line in f:
            event = json.loads(line)  # every line whole and valid
            if event["event"] == "exec" and marker in event.get("argv", []):
                found.append(event)
    return found


def run_marked(marker):
    proc = subprocess.run(["/bin/sh", "-c", "exit 0", marker])
    return proc.returncode


def caught_signals(pid):
    """The signals pid has handlers for (SigCgt in /proc/PID/status)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    mask = int(line.split()[1], 16)
                    return {sig for sig in range(1, 65) if mask & (1 << (sig - 1))}
    except FileNotFoundError:
        pass
    return set()


def check_signals_during_start_up(binary, work):
    daemon = Daemon(binary, os.path.join(work, "start-up.log"),
                    [f"--web.listen-address=127.0.0.1:{free_port()}", "--no-db"])
    try:
        wait_for(lambda: {signal.SIGHUP, signal.SIGTERM} <= caught_signals(daemon.pid)
                 or daemon.process.poll() is not None, 10, "the daemon to handle SIGHUP and SIGTERM")
        started = "hupwatch: running" in daemon.output()
        daemon.process.send_signal(signal.SIGHUP)
        daemon.stop()
        ok(f"SIGHUP and SIGTERM during start-up: exit 0 "
           f"({'after' if started else 'before'} it was attached)")
    finally:
        daemon.kill()


def main():
    binary = sys.argv[1]
    require_root()
    work = tempfile.mkdtemp(prefix="hupwatch-run-")
    check_signals_during_start_up(binary, work)
    path = os.path.join(work, "events.json")
    daemon = Daemon(binary, os.path.join(work, "stderr.log"),
                    [f"--web.listen-address=127.0.0.1:{free_port()}", "--no-db",
                     f"--events.json={path}"])
    try:
        daemon.wait_running()
        tag = f"hw-run-{os.getpid()}"
        run_marked(tag + "-before")
        wait_for(lambda: execs_with(path, tag + "-before"), 10, "the first exec in the file")

        os.rename(path, path + ".rotated")  # what logrotate does
        daemon.process.send_signal(signal.SIGHUP)
        time.sleep(0.3)  # the daemon reopens on its next loop turn (100 ms)
        if daemon.process.poll() is not None:
            fail(f"the daemon died of SIGHUP (exit {daemon.process.returncode})")
        run_marked(tag + "-after")
        wait_for(lambda: execs_with(path, tag + "-after"), 10, "an exec in the reopened file")
        if execs_with(path + ".rotated", tag + "-after"):
            fail("after SIGHUP a line still went to the renamed file")

        run_marked(tag + "-last")
        daemon.stop()
        if len(execs_with(path, tag + "-last")) != 1:
            fail("the last exec before SIGTERM is not in the file: a sink was not flushed")
        summary = daemon.output()
        if "hupwatch: stopped after" not in summary:
            fail(f"no stop summary on stderr: {summary!r}")
        ok("SIGHUP reopened the file, SIGTERM flushed it and exited 0")
    finally:
        daemon.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
