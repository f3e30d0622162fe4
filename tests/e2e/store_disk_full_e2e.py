#!/usr/bin/env python3
"""A full disk, told: the store on a small tmpfs is filled while events
flow, then space is freed.

- while full, batches fail: hupwatch_store_write_errors_total and
  hupwatch_store_rows_dropped_total{reason="write_error"} rise, and the
  daemon keeps running;
- every storm process (this test's /bin/true children) whose fork is not
  stored lived within the recorded gap (1 s slack each side), and at least
  as many rows were counted lost as the storm's fork, exec and exit rows
  that are missing;
- once space is freed, the next commit records exactly one gap with reason
  "store write errors: disk full";
- `hupwatch replay` says "no data between A and B (D; store write errors:
  disk full)", and its JSON gap line carries the reason;
- with `--events.json -`, stdout is JSON lines only: the store's errors
  are told on stderr, each line starting "hupwatch:".

Usage: store_disk_full_e2e.py HUPWATCH_BINARY   (as root)
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

from e2e_common import Daemon, fail, free_port, ok, require_root, rfc3339, wait_for, wall_ns

SECOND = 1_000_000_000


def metric(port, name, labels=""):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    want = f"{name}{{{labels}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(want):
            return float(line.split()[-1])
    fail(f"no {want.strip()} in the metrics")


def spawn(n, log):
    """n /bin/true children, one after another: (pid, began, reaped) each."""
    for _ in range(n):
        began = wall_ns()
        child = subprocess.Popen(["/bin/true"])
        child.wait()
        log.append((child.pid, began, wall_ns()))


def fill(directory):
    """Writes a file until the file system is full."""
    path = os.path.join(directory, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return path


def stored_pids(db_path, me):
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return {pid for (pid,) in db.execute(
            "SELECT pid FROM events WHERE type = 'fork' AND ppid = ?", (me,))}
    finally:
        db.close()


def stored_rows(db_path, pids):
    """Stored fork, exec and exit rows per pid."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        counts = dict.fromkeys(pids, 0)
        for (pid,) in db.execute("SELECT pid FROM events WHERE type IN ('fork', 'exec', 'exit')"):
            if pid in counts:
                counts[pid] += 1
        return counts
    finally:
        db.close()


def gaps(db_path):
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT from_wall_ns, to_wall_ns, reason FROM gaps").fetchall()
    finally:
        db.close()


def check_streams(events_path, stderr):
    """stdout held JSON lines alone; stderr said the failures, in our format."""
    with open(events_path) as f:
        for n, line in enumerate(f, 1):
            try:
                json.loads(line)
            except ValueError:
                fail(f"stdout line {n} under --events.json - is not JSON: {line[:200]!r}")
    lines = stderr.splitlines()
    stray = [l for l in lines if not l.startswith("hupwatch: ")]
    if stray:
        fail(f"stderr lines not starting 'hupwatch: ': {stray[:3]!r}")
    if not any(l.startswith("hupwatch: event store ") and " failed on " in l for l in lines):
        fail(f"stderr does not say the store's writes failed: {lines[-10:]!r}")
    ok("stdout: JSON lines only; stderr: the store's failures, each line 'hupwatch: ...'")


def main():
    if len(sys.argv) != 2:
        fail("usage: store_disk_full_e2e.py HUPWATCH_BINARY")
    binary = sys.argv[1]
    require_root()
    work = tempfile.mkdtemp(prefix="hupwatch-full-")
    mnt = os.path.join(work, "mnt")
    os.mkdir(mnt)
    # 16 MiB: the room freed afterwards must outlast the whole host's events
    # (a parallel build stores thousands of rows a second) for the rest of
    # the test, or the disk fills again and the last storm is lost anew.
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt], check=True)
    db = os.path.join(mnt, "h.db")
    port = free_port()
    events = os.path.join(work, "events.jsonl")
    daemon = Daemon(binary, os.path.join(work, "hupwatch.log"),
                    ["--db", db, "--no-query-socket", f"--web.listen-address=127.0.0.1:{port}",
                     "--events.json", "-"], stdout_path=events)
    storm = []
    try:
        daemon.wait_running()
        since = wall_ns()
        spawn(20, storm)
        wait_for(lambda: {p for p, _, _ in storm} <= stored_pids(db, os.getpid()), 20,
                 "the first storm stored")
        filler = fill(mnt)
        # Events keep coming until the store's writes fail: bounded polling.
        def failing():
            spawn(50, storm)
            return metric(port, "hupwatch_store_rows_dropped_total", 'reason="write_error"') > 0
        wait_for(failing, 60, "rows lost to write errors", interval=0)
        spawn(50, storm)
        if daemon.process.poll() is not None:
            fail(f"the daemon died on a full disk: {daemon.output()[-2000:]!r}")
        errors = metric(port, "hupwatch_store_write_errors_total")
        ok(f"disk full: {errors:.0f} failed batches, still running")
        os.unlink(filler)
        spawn(20, storm)
        wait_for(lambda: gaps(db), 20, "a gap recorded once writes succeed")
        [(gap_from, gap_to, reason)] = gaps(db)
        if reason != "store write errors: disk full" or not gap_from < gap_to:
            fail(f"gap {gap_from}..{gap_to} reason {reason!r}")
        wait_for(lambda: {p for p, _, _ in storm[-20:]} <= stored_pids(db, os.getpid()), 20,
                 "the storm after the space was freed stored")
        stored = stored_pids(db, os.getpid())
        missing = [(p, b, r) for p, b, r in storm if p not in stored]
        if not missing:
            fail("no storm process was lost: the disk never filled for the store")
        outside = [m for m in missing
                   if m[2] < gap_from - SECOND or m[1] > gap_to + SECOND]
        if outside:
            fail(f"{len(outside)} lost storm processes lived outside the gap "
                 f"{rfc3339(gap_from)}..{rfc3339(gap_to)}, e.g. {outside[0]}")
        # A process whose rows straddle a failed batch lost only some of them.
        rows = stored_rows(db, [p for p, _, _ in storm])
        missing_rows = sum(3 - n for n in rows.values())
        # The metrics are a snapshot the daemon publishes between polls of
        # its ring (up to 100 ms apart): the count may trail the database a
        # moment. Bounded polling on the count, then the check.
        def lost_rows():
            return metric(port, "hupwatch_store_rows_dropped_total", 'reason="write_error"')
        deadline = time.monotonic() + 5
        while (lost := lost_rows()) < missing_rows and time.monotonic() < deadline:
            time.sleep(0.05)
        if lost < missing_rows:
            fail(f"{lost:.0f} rows counted lost, fewer than the {missing_rows} rows of storm "
                 "processes not stored")
        ok(f"{len(missing)} of {len(storm)} storm processes lost, all within the gap; "
           f"{lost:.0f} rows counted lost, {missing_rows} of them the storm's")

        text = subprocess.run([binary, "replay", "--db", db, "--since", rfc3339(since)],
                              capture_output=True, text=True, timeout=30)
        said = [l for l in text.stdout.splitlines() if "no data between" in l]
        if len(said) != 1 or not said[0].endswith("; store write errors: disk full)"):
            fail(f"replay's gap lines: {said!r} (exit {text.returncode}, {text.stderr!r})")
        as_json = subprocess.run([binary, "replay", "--db", db, "--since", rfc3339(since),
                                  "--json"], capture_output=True, text=True, timeout=30)
        lines = [j for j in map(json.loads, as_json.stdout.splitlines()) if j["event"] == "gap"]
        if lines != [{"event": "gap", "time": rfc3339(gap_from), "from": rfc3339(gap_from),
                      "to": rfc3339(gap_to), "reason": "store write errors: disk full"}]:
            fail(f"replay --json gap lines: {lines!r}")
        ok(f"replay: {said[0].strip()!r}")
        daemon.stop()
        check_streams(events, daemon.output())
    finally:
        daemon.kill()
        subprocess.run(["umount", "-l", mnt])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
