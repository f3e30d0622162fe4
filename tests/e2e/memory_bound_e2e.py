#!/usr/bin/env python3
"""hupwatch run's memory stays flat under a stream of short pty sessions.

Each session is a shell that is the leader of its own pty, leaves a short
background job behind (an orphan) and exits; the master is then closed, as
a terminal emulator or sshd does. Two phases of SESSIONS each: after the
first (the warm-up) and after the second, once the sessions have aged out,
the daemon's anonymous memory (RssAnon) and its tables are read. The
second phase must not grow RssAnon by more than 512 kB, the correlator must
forget the sessions, and nothing may be left waiting or dropped.

Both readings are taken in the same state: the correlator's sessions and
pending orphans back within 25 of their baseline, the table within 100
(the host's own processes come and go meanwhile; the test's 1,500
sessions leave it 3,000 or more); and RssAnon is the least of a few
readings over 3 s, past jemalloc's 1 s decay of freed pages, so a page
freed a moment ago is not counted as kept. ctest runs it alone
(RUN_SERIAL): another test's processes would keep the table from its
baseline.

Usage: memory_bound_e2e.py HUPWATCH_BINARY   (as root)
"""
import os
import sys
import tempfile
import time

from e2e_common import (Daemon, fail, free_port, ok, require_root, rss_anon_kb,  # noqa: E402
                        scrape_metrics as metrics, short_pty_session as one_session, wait_for)

SESSIONS = 1500          # per phase
RSS_GROWTH_KB = 512      # allowed growth of the second phase over the first
SLACK = 25               # sessions and pending orphans besides the baseline's
TABLE_SLACK = 100        # processes the host's own churn may hold in the table


def phase(port):
    for _ in range(SESSIONS):
        one_session()
    # The orphans end in 50 ms; then the sessions age out (15 s after their
    # end, once empty) and the next prune (every second) forgets them; the
    # table forgets exited processes 60 s after their exit. Memory is
    # compared with both back at their baseline: what the tables hold in
    # between depends on the session rate, which varies from run to run.
    return wait_for(lambda: settled(port), 150, lambda: "the correlator and the table to forget "
                    f"the sessions; last seen {last_seen}, baseline {at_baseline()}", interval=0.5)


def kept_kb(pid):
    """RssAnon as the daemon keeps it: the least of 7 readings over 3 s."""
    readings = []
    for _ in range(7):
        readings.append(rss_anon_kb(pid))
        time.sleep(0.5)
    return min(readings)


WATCHED = ("hupwatch_correlator_sessions", "hupwatch_correlator_pending_orphans",
           "hupwatch_tracked_processes")
last_seen = {}


def at_baseline():
    return {name.removeprefix("hupwatch_"): int(baseline[name]) for name in WATCHED}


def settled(port):
    m = metrics(port)
    last_seen.update({name.removeprefix("hupwatch_"): int(m[name]) for name in WATCHED})
    if m["hupwatch_correlator_sessions"] > baseline["hupwatch_correlator_sessions"] + SLACK:
        return None
    if m["hupwatch_correlator_pending_orphans"] > SLACK:
        return None
    if m["hupwatch_tracked_processes"] > baseline["hupwatch_tracked_processes"] + TABLE_SLACK:
        return None
    return m


def main():
    global baseline
    if len(sys.argv) != 2:
        fail("usage: memory_bound_e2e.py HUPWATCH_BINARY")
    require_root()
    binary = sys.argv[1]
    port = free_port()
    with tempfile.TemporaryDirectory() as work:
        daemon = Daemon(binary, os.path.join(work, "run.log"),
                        [f"--web.listen-address=127.0.0.1:{port}", "--no-db"])
        try:
            daemon.wait_running()
            baseline = metrics(port)
            first = phase(port)
            warm_kb = kept_kb(daemon.pid)
            ok(f"warm-up: {SESSIONS} sessions, RssAnon {warm_kb} kB, "
               f"sessions {first['hupwatch_correlator_sessions']:.0f}, "
               f"tracked {first['hupwatch_tracked_processes']:.0f}")
            second = phase(port)
            end_kb = kept_kb(daemon.pid)
            ok(f"second phase: {SESSIONS} sessions, RssAnon {end_kb} kB, "
               f"sessions {second['hupwatch_correlator_sessions']:.0f}, "
               f"tracked {second['hupwatch_tracked_processes']:.0f}")
            # The allocator's own account: what is live came back too (not
            # only the pages), and it holds no less than what is live.
            alloc_growth_kb = (second["hupwatch_heap_allocated_bytes"] -
                               first["hupwatch_heap_allocated_bytes"]) / 1024
            ok(f"heap: allocated {second['hupwatch_heap_allocated_bytes'] / 1024:.0f} kB "
               f"({alloc_growth_kb:+.0f} kB), resident "
               f"{second['hupwatch_heap_resident_bytes'] / 1024:.0f} kB")
            if not 0 < second["hupwatch_heap_allocated_bytes"] <= second["hupwatch_heap_resident_bytes"]:
                fail(f"heap metrics are not an allocator's: {second['hupwatch_heap_allocated_bytes']} "
                     f"allocated, {second['hupwatch_heap_resident_bytes']} resident")
            if alloc_growth_kb > RSS_GROWTH_KB:
                fail(f"live heap allocations grew {alloc_growth_kb:.0f} kB over {SESSIONS} sessions "
                     f"after warm-up (bound {RSS_GROWTH_KB} kB)")
            if end_kb - warm_kb > RSS_GROWTH_KB:
                fail(f"RssAnon grew {end_kb - warm_kb} kB over {SESSIONS} sessions after warm-up "
                     f"(bound {RSS_GROWTH_KB} kB)")
            for name in ("hupwatch_correlator_sessions_dropped_total",
                         "hupwatch_correlator_orphans_dropped_total",
                         "hupwatch_process_table_refused_total"):
                if second[name] != 0:
                    fail(f"{name} is {second[name]:.0f}: a bound was hit")
            ok(f"RssAnon grew {end_kb - warm_kb} kB (bound {RSS_GROWTH_KB}); tables back to "
               f"their baseline")
            daemon.stop()
        finally:
            daemon.kill()


baseline = {}
if __name__ == "__main__":
    main()
