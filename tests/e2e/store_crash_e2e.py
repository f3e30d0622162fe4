#!/usr/bin/env python3
"""The event store survives a crash: `hupwatch run --db` is killed with
SIGKILL in the middle of a spawn storm, then restarted on the same file.

- the file passes `PRAGMA integrity_check` (WAL, one transaction a batch);
- every storm process (this test's own /bin/true children, with their
  spawn and reap times) that was reaped more than 1 s before the kill has
  exactly its fork (by this test), exec (/bin/true) and exit (status 0)
  stored. docs/store.md promises at most the uncommitted batch is lost
  (<= 250 ms); 1 s also covers the ring buffer's poll and the encoder's
  batch that waits for the writer, on a loaded 2-CPU machine;
- no event is stored between the kill and the restart;
- after a clean restart and stop (SIGTERM, exit 0): the killed run has no
  clean stop, the next one has; one gap, from the killed run's last commit
  (within 1 s before the kill, by the same bound) to the restart;
- `hupwatch replay --since <before the kill>` says "no data between" those
  two times, in text and as a JSON `gap` line;
- `hupwatch why` of a job that ended while no daemon ran (killed between
  the crash and the restart, so absent from the restart's /proc scan) says
  it ended unseen by the restart; of one still running, that it is alive.

Usage: store_crash_e2e.py HUPWATCH_BINARY   (as root)
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

from e2e_common import (Daemon, expect_unseen_end, fail, free_port, ok, require_root, rfc3339,
                        wait_for, wall_ns, why_json)

SECOND = 1_000_000_000
# Storm processes reaped this long before the kill must be stored (see above).
COMMITTED_BOUND_NS = 1 * SECOND
STORM_BEFORE_KILL_S = 3
STORM_AFTER_KILL_S = 0.5


class SpawnStorm(threading.Thread):
    """/bin/true, one after another, as fast as this test can: (pid, wall time
    before the spawn, wall time after the reap) each."""

    def __init__(self):
        super().__init__(daemon=True)
        self.spawned = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            began = wall_ns()
            child = subprocess.Popen(["/bin/true"])
            child.wait()
            self.spawned.append((child.pid, began, wall_ns()))

    def spawned_since(self, t_ns):
        return sum(1 for _, began, _ in self.spawned if began >= t_ns)


def local_stamp(ns, now_ns):
    """userspace/story_lines.cpp's local_stamp(): the time of day, with the
    date when not today."""
    at, now = time.localtime(ns // SECOND), time.localtime(now_ns // SECOND)
    if (at.tm_year, at.tm_yday) == (now.tm_year, now.tm_yday):
        return time.strftime("%H:%M:%S", at)
    return time.strftime("%Y-%m-%d %H:%M:%S", at)


def local_stamp_ms(ns, now_ns):
    return f"{local_stamp(ns, now_ns)}.{ns // 1_000_000 % 1000:03}"


def human_duration(ns):
    """userspace/finding_format.cpp's human_duration(), for gaps under a day."""
    ms = max(0, ns) // 1_000_000
    if ms < 1000:
        return f"{ms}ms"
    s = ms // 1000
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02}s"
    return f"{s // 3600}h{s % 3600 // 60:02}m"


def stored_lifecycle(db, pid):
    """{start_ns: [(type, ppid, json), ...]} of the stored events of pid."""
    found = {}
    for type_, start_ns, ppid, line in db.execute(
            "SELECT type, start_ns, ppid, json FROM events WHERE pid = ? ORDER BY id", (pid,)):
        found.setdefault(start_ns, []).append((type_, ppid, json.loads(line)))
    return found


def is_storm_process(events, me):
    """The exact story of one /bin/true child of this test."""
    if [t for t, _, _ in events] != ["fork", "exec", "exit"]:
        return False
    (_, fork_ppid, _), (_, _, exec_), (_, _, exit_) = events
    return (fork_ppid == me and exec_["argv"] == ["/bin/true"] and exit_["exit_code"] == 0
            and exit_["signal"] is None)


def check_crashed_file(path, storm, kill_sent, dead):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = db.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            fail(f"integrity_check after SIGKILL: {check!r}")
        due = [(pid, began) for pid, began, reaped in storm if reaped < kill_sent - COMMITTED_BOUND_NS]
        if len(due) < 100:
            fail(f"only {len(due)} storm processes ended 1 s before the kill: too slow a storm")
        missing = [pid for pid, _ in due
                   if not any(is_storm_process(e, os.getpid())
                              for e in stored_lifecycle(db, pid).values())]
        if missing:
            pid = missing[0]
            fail(f"{len(missing)} of {len(due)} storm processes lack their fork/exec/exit, e.g. "
                 f"{pid}: {stored_lifecycle(db, pid)!r}")
        last = db.execute("SELECT max(wall_ns) FROM events").fetchone()[0]
        if last > dead:
            fail(f"an event stored at {rfc3339(last)}, after the daemon died ({rfc3339(dead)})")
        return len(due), len(storm)
    finally:
        db.close()


def check_runs_and_gap(path, kill_sent, dead, restarted):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        runs = db.execute("SELECT id, clean, stopped_wall_ns IS NOT NULL FROM runs ORDER BY id").fetchall()
        if [(clean, stopped) for _, clean, stopped in runs] != [(0, 0), (1, 1)]:
            fail(f"runs (id, clean, stopped): {runs!r}, expected the killed one, then a clean one")
        gaps = db.execute("SELECT run_id, from_wall_ns, to_wall_ns FROM gaps").fetchall()
    finally:
        db.close()
    if len(gaps) != 1:
        fail(f"gaps: {gaps!r}, expected exactly one")
    run_id, gap_from, gap_to = gaps[0]
    if run_id != runs[1][0]:
        fail(f"the gap belongs to run {run_id}, expected the restarted run {runs[1][0]}")
    if not kill_sent - COMMITTED_BOUND_NS <= gap_from <= dead:
        fail(f"the gap starts at {rfc3339(gap_from)}: not within 1 s before the kill "
             f"({rfc3339(kill_sent)} .. {rfc3339(dead)})")
    if gap_to < restarted:
        fail(f"the gap ends at {rfc3339(gap_to)}, before the restart at {rfc3339(restarted)}")
    return gap_from, gap_to


def check_replay(binary, path, since, gap_from, gap_to):
    now = wall_ns()
    args = [binary, "replay", "--db", path, "--since", rfc3339(since)]
    text = subprocess.run(args, capture_output=True, text=True, timeout=30)
    if text.returncode != 0:
        fail(f"replay: exit {text.returncode}: {text.stderr}")
    sentence = (f"{local_stamp(gap_from, now)} no data between {local_stamp_ms(gap_from, now)} "
                f"and {local_stamp_ms(gap_to, now)} ({human_duration(gap_to - gap_from)}; "
                "hupwatch did not stop cleanly)")
    if [line for line in text.stdout.splitlines() if "no data between" in line] != [sentence]:
        fail(f"replay does not say {sentence!r} once:\n{text.stdout}")
    as_json = subprocess.run(args + ["--json"], capture_output=True, text=True, timeout=30)
    gaps = [j for j in map(json.loads, as_json.stdout.splitlines()) if j["event"] == "gap"]
    expected = {"event": "gap", "time": rfc3339(gap_from), "from": rfc3339(gap_from),
                "to": rfc3339(gap_to)}
    if gaps != [expected]:
        fail(f"replay --json gap lines: {gaps!r}, expected [{expected!r}]")
    return sentence


def wait_stored_exec(path, pid, argv):
    """Until the exec of pid with argv is committed to the store."""
    def stored():
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT json FROM events WHERE pid = ? AND type = 'exec'",
                              (pid,)).fetchall()
        finally:
            db.close()
        return any(json.loads(line)["argv"] == argv for (line,) in rows)
    wait_for(stored, 10, f"the exec of {pid} to be stored")


def check_why_after_crash(binary, path, gone, kept, dead, restart_stopped):
    expect_unseen_end(binary, path, gone, dead, restart_stopped,
                      "killed while no daemon ran; gone by the crash and the restart's stop")
    j = why_json(binary, path, kept)
    if not (j["alive"] is True and j["exit_unseen"] is False):
        fail(f"why {kept} (running throughout): alive {j['alive']}, exit_unseen "
             f"{j['exit_unseen']}; expected alive")


def main():
    if len(sys.argv) != 2:
        fail("usage: store_crash_e2e.py HUPWATCH_BINARY")
    binary = sys.argv[1]
    require_root()
    work = tempfile.mkdtemp(prefix="hupwatch-crash-")
    path = os.path.join(work, "h.db")
    log = os.path.join(work, "hupwatch.log")
    args = ["--db", path, f"--web.listen-address=127.0.0.1:{free_port()}"]
    daemon = Daemon(binary, log, args)
    storm = SpawnStorm()
    restarted_daemon = None
    jobs = []
    try:
        daemon.wait_running()
        # Two jobs: one killed while no daemon runs, one running throughout.
        jobs = [subprocess.Popen(["sleep", "3600"]) for _ in range(2)]
        for job in jobs:
            wait_stored_exec(path, job.pid, ["sleep", "3600"])
        storm_began = wall_ns()
        storm.start()
        # The scenario's clock, not a synchronisation: kill after a few
        # seconds of storm, with enough processes behind the 1 s bound.
        wait_for(lambda: wall_ns() - storm_began >= STORM_BEFORE_KILL_S * SECOND
                 and storm.spawned_since(storm_began) >= 200, 30, "a few seconds of spawn storm")
        if daemon.pid <= 1 or daemon.process.poll() is not None:
            fail(f"the daemon (pid {daemon.pid}) is not running: {daemon.output()!r}")
        kill_sent = wall_ns()
        os.kill(daemon.pid, signal.SIGKILL)
        code = daemon.process.wait(timeout=10)
        dead = wall_ns()
        if code != -signal.SIGKILL:
            fail(f"the daemon ended with {code}, not SIGKILL")
        jobs[0].kill()
        jobs[0].wait()
        # Mid-storm: it goes on a little while nobody records it.
        wait_for(lambda: wall_ns() - dead >= STORM_AFTER_KILL_S * SECOND, 10, "the storm after the kill")
        storm.stop.set()
        storm.join(timeout=10)
        spawned = list(storm.spawned)

        due, total = check_crashed_file(path, spawned, kill_sent, dead)
        ok(f"integrity_check ok; the fork/exec/exit of all {due} storm processes reaped 1 s before "
           f"the kill are stored ({total} spawned)")

        restarted = wall_ns()
        restarted_daemon = Daemon(binary, log, args)
        restarted_daemon.wait_running()
        restarted_daemon.stop()
        restart_stopped = wall_ns()
        gap_from, gap_to = check_runs_and_gap(path, kill_sent, dead, restarted)
        ok(f"one gap, {rfc3339(gap_from)} to {rfc3339(gap_to)}: kill at {rfc3339(kill_sent)}, "
           f"restart at {rfc3339(restarted)}")
        sentence = check_replay(binary, path, kill_sent - 5 * SECOND, gap_from, gap_to)
        ok(f"replay says: {sentence}")
        check_why_after_crash(binary, path, jobs[0].pid, jobs[1].pid, dead, restart_stopped)
        ok(f"why {jobs[0].pid}: ended unseen by the restart; why {jobs[1].pid}: alive")
    finally:
        storm.stop.set()
        for job in jobs:
            if job.poll() is None:
                job.kill()
                job.wait()
        daemon.kill()
        if restarted_daemon:
            restarted_daemon.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
