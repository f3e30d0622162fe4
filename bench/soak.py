#!/usr/bin/env python3
"""Soak: hupwatch run's memory and tables under a long stream of short
processes and short pty sessions (issue 10).

Phases, each followed by a settle (the table forgets exited processes 60 s
after their exit, 1 s for quiet ones; the correlator forgets sessions 15 s
after their end):
  1. warm-up: a spawn storm for SETTLE_S seconds (longer than the table's
     exit grace, so its steady size is reached), then pty sessions for as
     long (the same, at the sessions' rate: a warm-up of 1,000 sessions left
     the first 3,000 of the phase to grow the live heap once, by 0.6 MB);
  2. processes: PROCESSES short processes (spawn_storm, vfork + _exit);
  3. sessions: SESSIONS pty sessions, each a shell leading its own pty that
     leaves a short background job (an orphan) and exits.
After each phase and its settle it samples the daemon's RssAnon, its live
heap allocations (hupwatch_heap_allocated_bytes), tracked processes,
correlator sessions, and lost events, and prints a markdown table.
Targets: RssAnon grows <= 512 kB after the warm-up; tracked processes back
to their baseline; 0 events lost.

Usage (root): bench/soak.py BUILD_DIR [PROCESSES=1000000] [SESSIONS=100000]
Env: SOAK_WORKERS (parallel session makers), SOAK_DB=1 (run with the event
store in a scratch directory, as `hupwatch run` runs by default, instead of
--no-db).
"""
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from e2e_common import (Daemon, free_port, rss_anon_kb, scrape_metrics,  # noqa: E402
                        short_pty_session)

SETTLE_S = 75  # the table's 60 s exit grace, the correlator's 15 s, and a prune


def processes(storm, count=None, seconds=None):
    """Short processes in 5 s storms, until count are made or seconds pass."""
    made = 0
    end = time.monotonic() + seconds if seconds else None
    while (count is None or made < count) and (end is None or time.monotonic() < end):
        out = subprocess.run([storm, "5"], capture_output=True, text=True, check=True).stdout
        made += int(float(out.split()[0]) * 5)
    return made


# Sessions run this many at a time (SOAK_WORKERS): each waits ~50 ms for its
# orphan, so 4 make ~70 a second here, 8 about twice that.
WORKERS = int(os.environ.get("SOAK_WORKERS", "4"))


def sessions(count=None, seconds=None):
    """count short pty sessions, or as many as `seconds` allow, WORKERS at a
    time: each waits ~50 ms for its orphan to let go of the pty, so one at a
    time manages only ~16 a second. Returns how many were made."""
    end = time.monotonic() + seconds if seconds else None

    def run(n):
        made = 0
        while (n is None or made < n) and (end is None or time.monotonic() < end):
            short_pty_session()
            made += 1
        return made

    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        shares = ([count // WORKERS + (i < count % WORKERS) for i in range(WORKERS)]
                  if count is not None else [None] * WORKERS)
        return sum(done.result() for done in [pool.submit(run, n) for n in shares])


def main():
    if os.geteuid() != 0:
        sys.exit("soak: needs root")
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    n_proc = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    n_sess = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
    storm = os.path.join(build, "bench", "spawn_storm")
    port = free_port()
    log = f"/tmp/hupwatch-soak-{os.getpid()}.log"
    store_dir = None
    if os.environ.get("SOAK_DB") == "1":
        store_dir = tempfile.mkdtemp(prefix="hupwatch-soak-db.")
        store_args = ["--db", os.path.join(store_dir, "events.db")]
    else:
        store_args = ["--no-db"]
    daemon = Daemon(os.path.join(build, "hupwatch"), log,
                    [f"--web.listen-address=127.0.0.1:{port}"] + store_args)
    rows = []
    try:
        daemon.wait_running()
        base = scrape_metrics(port)

        def sample(phase, made, seconds):
            time.sleep(SETTLE_S)
            m = scrape_metrics(port)
            rows.append((phase, made, seconds, rss_anon_kb(daemon.pid),
                         int(m["hupwatch_tracked_processes"]),
                         int(m["hupwatch_correlator_sessions"]), int(m.get("hupwatch_events_lost_total", 0)),
                         int(m.get("hupwatch_heap_allocated_bytes", 0)) // 1024))
            print(f"soak: {rows[-1]}", file=sys.stderr, flush=True)

        rows.append(("start", 0, 0, rss_anon_kb(daemon.pid),
                     int(base["hupwatch_tracked_processes"]),
                     int(base["hupwatch_correlator_sessions"]), int(base.get("hupwatch_events_lost_total", 0)),
                     int(base.get("hupwatch_heap_allocated_bytes", 0)) // 1024))
        # The warm-up storms for longer than the table's exit grace, so the
        # table and the heap reach the size a storm at this rate keeps them
        # at; a shorter one leaves the first long storm to grow the heap once.
        for phase, work in (("warm-up", lambda: processes(storm, seconds=SETTLE_S) +
                             sessions(seconds=SETTLE_S)),
                            ("processes", lambda: processes(storm, n_proc)),
                            ("sessions", lambda: sessions(n_sess))):
            t = time.monotonic()
            made = work()
            sample(phase, made, time.monotonic() - t)
        daemon.stop()
    finally:
        daemon.kill()
        if store_dir:
            shutil.rmtree(store_dir, ignore_errors=True)

    print("| after | made | seconds | RssAnon kB | heap allocated kB | tracked processes | sessions | events lost |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]:,} | {r[2]:.0f} | {r[3]:,} | {r[7]:,} | {r[4]:,} | {r[5]:,} | {r[6]:,} |")
    warm = rows[1][3]
    growth = max(r[3] for r in rows[2:]) - warm
    print(f"\nRssAnon growth after the warm-up: {growth} kB (target <= 512); "
          f"tracked at the end {rows[-1][4]} (baseline {rows[0][4]})")


if __name__ == "__main__":
    main()
