#!/usr/bin/env python3
"""Every subcommand under `| head -1`, with stderr separate and merged into
the pipe (issue 15: `hupwatch watch 2>&1 | head -2` died of SIGABRT, 134,
when it wrote its "cannot write events" line to the closed pipe).

The reader takes one line and closes its end, as head does. Then:
- watch (text, --json, --verdicts): exit 1, whatever stderr is, never a
  signal, also when it has nothing to write (--verdicts on a quiet host);
  with stderr separate, one line saying why and the summary;
- run (stderr into the pipe): it keeps running (its output is logs), and a
  SIGTERM still stops it cleanly with exit 0 and the store closed;
- the readers (check, ps, replay, why, tree, --help): the quiet exit of a
  Unix filter, exit 0 or 1 or death by SIGPIPE, never SIGABRT, and nothing
  on a separate stderr but at most one line.
Events are made while waiting (/bin/true), so a watcher has something to
write.

And with a standard descriptor closed outright (`>&-`, `2>&-`), which the
next open() would otherwise reuse:
- watch: exit 1 at once with one line saying stdout cannot be written
  (it used to run on, writing into its own epoll descriptor);
- run --events.json -: exit 2, one line;
- run --events.json FILE with stderr closed: its log lines go nowhere, not
  into FILE, whose every line stays an event.

Usage: closed_pipe_e2e.py HUPWATCH_BINARY   (as root)
"""
import os
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

from e2e_common import Daemon, fail, ok, require_root, wait_for

QUIET_EXITS = (0, 1, -signal.SIGPIPE)


def through_head(binary, args, merged, timeout=20):
    """Runs binary ARGS | head -1; returns (exit code, first line, stderr)."""
    err_path = tempfile.mktemp(prefix="hupwatch-pipe-err-")
    with open(err_path, "wb") as err:
        proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT if merged else err)
        # One line, or nothing for 3 s (watch --verdicts may have nothing to
        # say): then head -1 goes away all the same.
        ready, _, _ = select.select([proc.stdout], [], [], 3)
        line = proc.stdout.readline() if ready else b""
        proc.stdout.close()
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            subprocess.run(["/bin/true"])  # something for a watcher to write
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            fail(f"{args} ({'merged' if merged else 'separate'}) still ran {timeout}s after its "
                 f"reader went away")
    with open(err_path, "rb") as f:
        stderr = f.read().decode(errors="replace")
    os.unlink(err_path)
    return proc.returncode, line.decode(errors="replace"), stderr


def check_no_crash(args, merged, code, stderr):
    what = f"`hupwatch {' '.join(args)}{' 2>&1' if merged else ''} | head -1`"
    if code in (-signal.SIGABRT, 134) or "terminate called" in stderr:
        fail(f"{what} crashed: exit {code}, stderr {stderr!r}")
    return what


def make_store(binary, db):
    daemon = Daemon(binary, db + ".log", ["--db", db, "--web.listen-address", "127.0.0.1:0"])
    try:
        daemon.wait_running()
        def stored():
            subprocess.run(["/bin/true"])  # an event of our own: the host may be quiet
            return os.path.exists(db) and sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute(
                "SELECT count(*) FROM events").fetchone()[0] > 0
        wait_for(stored, 20, "events in the store")
        daemon.stop()
    finally:
        daemon.kill()


def with_closed(fd):
    """A preexec_fn that closes fd in the child before it runs hupwatch."""
    return lambda: os.close(fd)


def check_closed_descriptors(binary, work):
    for args, want_code, want_line in (
            (["watch", "--json"], 1, "hupwatch: cannot write events to stdout: Bad file descriptor"),
            (["run", "--no-db", "--no-query-socket", "--web.listen-address", "127.0.0.1:0",
              "--events.json", "-"], 2,
             "hupwatch: --events.json -: stdout is not open for writing")):
        what = f"`hupwatch {' '.join(args)} >&-`"
        try:
            result = subprocess.run([binary, *args], stdin=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, preexec_fn=with_closed(1),
                                    timeout=10)
        except subprocess.TimeoutExpired:
            fail(f"{what} still ran after 10 s with nowhere to write")
        stderr = result.stderr.decode(errors="replace")
        if result.returncode != want_code or stderr != want_line + "\n":
            fail(f"{what}: exit {result.returncode}, stderr {stderr!r}; want exit {want_code}, "
                 f"{want_line!r}")
        ok(f"{what}: exit {want_code}, one line")

    events = os.path.join(work, "events.json")
    daemon = subprocess.Popen([binary, "run", "--no-db", "--no-query-socket",
                               "--web.listen-address", "127.0.0.1:0", "--events.json", events],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              preexec_fn=with_closed(2))
    try:
        def lines():
            subprocess.run(["/bin/true"])  # an event of our own: the host may be quiet
            if not os.path.exists(events):
                return []
            with open(events, errors="replace") as f:
                return f.read().splitlines()
        wait_for(lambda: len(lines()) >= 3, 20, "events in the JSON file")
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=15)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    if code != 0:
        fail(f"run 2>&- --events.json FILE, then SIGTERM: exit {code}, want 0")
    with open(events, errors="replace") as f:
        content = f.read().splitlines()
    strays = [line for line in content if not line.startswith('{"event":')]
    if strays:
        fail(f"run 2>&-: {len(strays)} lines in the events file are not events, e.g. "
             f"{strays[:3]!r}")
    ok(f"`hupwatch run --events.json FILE 2>&-`: {len(content)} lines, every one an event")


def main():
    require_root()
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="hupwatch-pipe-")
    db = os.path.join(work, "h.db")
    check_closed_descriptors(binary, work)
    make_store(binary, db)

    for args in (["watch"], ["watch", "--json"], ["watch", "--verdicts"]):
        for merged in (False, True):
            code, _, stderr = through_head(binary, args, merged)
            what = check_no_crash(args, merged, code, stderr)
            if code != 1:
                fail(f"{what} exited {code}, want 1 (docs/cli.md): {stderr!r}")
            if not merged and "hupwatch: cannot write events to stdout: Broken pipe" not in stderr:
                fail(f"{what} did not say why it stopped: {stderr!r}")
            ok(f"{what}: exit 1")

    # run writes only logs: merged, its reader takes "running".
    proc = subprocess.Popen([binary, "run", "--db", db, "--web.listen-address", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    first = proc.stdout.readline().decode(errors="replace")
    proc.stdout.close()
    if not first.startswith("hupwatch: running"):
        fail(f"run printed {first!r} first")
    time.sleep(0.5)
    if proc.poll() is not None:
        fail(f"run stopped when its stderr went away: exit {proc.returncode}")
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=15)
    check_no_crash(["run"], True, code, "")
    if code != 0:
        fail(f"run 2>&1 | head -1, then SIGTERM: exit {code}, want 0")
    clean = sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute(
        "SELECT clean FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    if clean != 1:
        fail("run with a closed stderr did not close its store cleanly")
    ok("run 2>&1 | head -1: keeps running; SIGTERM: exit 0, store closed cleanly")

    readers = [["check"], ["ps", "--all"], ["ps", "--json", "--all"],
               ["replay", "--db", db], ["replay", "--db", db, "--json"],
               ["why", "1", "--db", db], ["tree", "--at", "now", "--db", db],
               ["replay", "--db", db, "--since", "garbage"], ["ps", "--help"]]
    for args in readers:
        for merged in (False, True):
            code, _, stderr = through_head(binary, args, merged)
            what = check_no_crash(args, merged, code, stderr)
            if code not in QUIET_EXITS and not (args[-1] == "garbage" and code == 2):
                fail(f"{what} exited {code}: {stderr!r}")
            if stderr.count("\n") > 1:
                fail(f"{what} wrote more than one line to stderr: {stderr!r}")
            ok(f"{what}: exit {code}")


if __name__ == "__main__":
    main()
