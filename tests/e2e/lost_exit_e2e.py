#!/usr/bin/env python3
"""hupwatch run's live table after the ring buffer overflowed: jobs whose
exit events were lost do not stay alive in it. The `ps` audit's /proc
scan, which runs soon after the kernel counts a loss (the test sets the
periodic audit to an hour, so only that can end them), lacks them, so the
daemon ends them unseen (counted in
hupwatch_process_table_lost_exits_total) and hupwatch_tracked_processes_alive
comes back down. Each such end is recorded (an `exit_unseen` event), so
the store gives every job exactly one end, and `hupwatch why` of a job
reads "exit unseen", gone by the scan, without waiting for a restart.

How the exits are lost, for real: JOBS sleepers start and the daemon sees
their forks; the daemon is then stopped (SIGSTOP), a vfork storm fills the
16 MB ring buffer, the sleepers are killed while it is full, and the daemon
continues (SIGCONT).

Other tests may run at the same time: the alive count allows a margin.

Usage: lost_exit_e2e.py HUPWATCH_BINARY SPAWN_STORM_BINARY   (as root)
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

from e2e_common import (Daemon, expect_unseen_end, fail, free_port, lose_exits,  # noqa: E402
                        ok, require_root, scrape_metrics as metrics, wait_for, wall_ns)

JOBS = 400
MARGIN = 150  # processes other tests may start or end meanwhile
# Three times what fills the ring (about 60k processes at ~270 bytes each)
# at the rate of these machines (~20k/s under a stopped reader).
STORM_S = 10
WHY_SAMPLE = 10  # jobs whose why is read


def ends_stored(path, pids):
    """{pid: [end types]} of the stored exit and exit_unseen events of pids."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT pid, type FROM events WHERE type IN ('exit', 'exit_unseen') "
                          f"AND pid IN ({','.join('?' * len(pids))})", list(pids)).fetchall()
    finally:
        db.close()
    ends = {pid: [] for pid in pids}
    for pid, kind in rows:
        ends[pid].append(kind)
    return ends


def check_store(binary, path, jobs, killed, recovered):
    """Every job has exactly one stored end; why of the unseen ones says so."""
    ends = ends_stored(path, [job.pid for job in jobs])
    wrong = {pid: kinds for pid, kinds in ends.items() if len(kinds) != 1}
    if wrong:
        fail(f"{len(wrong)} jobs without exactly one stored end, e.g. "
             f"{dict(list(wrong.items())[:5])}")
    unseen = sorted(pid for pid, kinds in ends.items() if kinds == ["exit_unseen"])
    if len(unseen) < JOBS - MARGIN:
        fail(f"only {len(unseen)} of {JOBS} jobs have a stored exit_unseen")
    for pid in unseen[:WHY_SAMPLE]:
        expect_unseen_end(binary, path, pid, killed, recovered,
                          "killed while the ring was full; gone by the kill and the recovery")
    ok(f"store: each job one end ({len(unseen)} exit_unseen, {JOBS - len(unseen)} exit); "
       f"why of {min(WHY_SAMPLE, len(unseen))} reads exit unseen, gone by the scan")


def main():
    if len(sys.argv) != 3:
        fail("usage: lost_exit_e2e.py HUPWATCH_BINARY SPAWN_STORM_BINARY")
    require_root()
    binary, storm = sys.argv[1], sys.argv[2]
    port = free_port()
    jobs = []
    with tempfile.TemporaryDirectory() as work:
        store = os.path.join(work, "h.db")
        daemon = Daemon(binary, os.path.join(work, "run.log"),
                        [f"--web.listen-address=127.0.0.1:{port}", "--db", store,
                         "--no-query-socket", "--audit.interval=3600"])
        try:
            daemon.wait_running()
            base = metrics(port)
            jobs = [subprocess.Popen(["sleep", "3600"]) for _ in range(JOBS)]
            seen = wait_for(lambda: (m := metrics(port))["hupwatch_tracked_processes_alive"] >=
                            base["hupwatch_tracked_processes_alive"] + JOBS - MARGIN and m,
                            20, f"the daemon to see the {JOBS} jobs start", interval=0.2)
            ok(f"{JOBS} jobs alive in the table: {seen['hupwatch_tracked_processes_alive']:.0f} "
               f"(was {base['hupwatch_tracked_processes_alive']:.0f})")

            rate, killed = lose_exits(daemon.pid, storm, STORM_S, jobs)
            ok(f"daemon stopped through a {STORM_S} s storm ({rate} processes/s) and the jobs' deaths")

            def recovered():
                m = metrics(port)
                if m["hupwatch_tracked_processes_alive"] > \
                        base["hupwatch_tracked_processes_alive"] + MARGIN:
                    return None
                return m
            after = wait_for(recovered, 30, "the audit to end the jobs whose exits were lost",
                             interval=0.5)
            recovered_at = wall_ns()
            lost_events = after["hupwatch_events_lost_total"] - base["hupwatch_events_lost_total"]
            lost_exits = (after["hupwatch_process_table_lost_exits_total"] -
                          base["hupwatch_process_table_lost_exits_total"])
            if lost_events <= 0:
                fail("the storm did not overflow the ring buffer: nothing was lost")
            if lost_exits < JOBS - MARGIN:
                fail(f"only {lost_exits:.0f} exits counted lost for {JOBS} jobs whose exit "
                     f"events the full ring dropped ({lost_events:.0f} events lost)")
            ok(f"{lost_events:.0f} events lost; {lost_exits:.0f} exits ended unseen; alive "
               f"{after['hupwatch_tracked_processes_alive']:.0f} "
               f"(baseline {base['hupwatch_tracked_processes_alive']:.0f})")
            daemon.stop()
            check_store(binary, store, jobs, killed, recovered_at)
        finally:
            for job in jobs:
                if job.poll() is None:
                    job.kill()
                    job.wait()
            daemon.kill()
    ok("PASS")


if __name__ == "__main__":
    main()
