#!/usr/bin/env python3
"""hupwatch run and its signals, as an operator (or logrotate) uses them.

- SIGHUP never kills the daemon: it reopens --events.json, so after an
  external rename new lines go to a fresh file at the configured path;
- SIGTERM stops it with exit 0 and every sink flushed: the exec of a process
  started just before the SIGTERM is in the file.

Usage: run_signals_e2e.py HUPWATCH_BINARY   (as root)
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import shutil


def fail(message):
    print(f"run_signals_e2e: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    fail(f"timed out waiting for {what}")


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


def main():
    binary = sys.argv[1]
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            fail("needs root (CI=true)")
        print("run_signals_e2e: SKIPPED: needs root to load BPF")
        return
    work = tempfile.mkdtemp(prefix="hupwatch-run-")
    path = os.path.join(work, "events.json")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(os.path.join(work, "stderr.log"), "w+")
    daemon = subprocess.Popen([binary, "run", f"--web.listen-address=127.0.0.1:{port}", "--no-db",
                               f"--events.json={path}"], stderr=log)
    try:
        wait_for(lambda: "hupwatch: running" in open(log.name).read(), 20, "the daemon to start")
        tag = f"hw-run-{os.getpid()}"
        run_marked(tag + "-before")
        wait_for(lambda: execs_with(path, tag + "-before"), 10, "the first exec in the file")

        os.rename(path, path + ".rotated")  # what logrotate does
        daemon.send_signal(signal.SIGHUP)
        time.sleep(0.3)  # the daemon reopens on its next loop turn (100 ms)
        if daemon.poll() is not None:
            fail(f"the daemon died of SIGHUP (exit {daemon.returncode})")
        run_marked(tag + "-after")
        wait_for(lambda: execs_with(path, tag + "-after"), 10, "an exec in the reopened file")
        if execs_with(path + ".rotated", tag + "-after"):
            fail("after SIGHUP a line still went to the renamed file")

        run_marked(tag + "-last")
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=10)
        if code != 0:
            fail(f"SIGTERM: exit {code}, expected 0")
        if len(execs_with(path, tag + "-last")) != 1:
            fail("the last exec before SIGTERM is not in the file: a sink was not flushed")
        summary = open(log.name).read()
        if "hupwatch: stopped after" not in summary:
            fail(f"no stop summary on stderr: {summary!r}")
        print("run_signals_e2e: ok: SIGHUP reopened the file, SIGTERM flushed it and exited 0")
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
