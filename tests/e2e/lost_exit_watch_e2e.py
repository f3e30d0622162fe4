#!/usr/bin/env python3
"""hupwatch watch after the ring buffer overflowed: `watch` has no periodic
audit, so it scans /proc once the kernel reports lost events, and each job
whose exit was lost gets an `exit_unseen` line. Every job then has exactly
one end on the stream (`exit` or `exit_unseen`), with its identity
(pid, start_ns) as its exec line gave it.

How the exits are lost, for real: as in lost_exit_e2e.py, JOBS sleepers
start and watch prints their execs; watch is then stopped (SIGSTOP), a
vfork storm fills the ring buffer, the sleepers are killed while it is
full, and watch continues (SIGCONT).

Usage: lost_exit_watch_e2e.py HUPWATCH_BINARY SPAWN_STORM_BINARY   (as root)
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

from e2e_common import fail, lose_exits, ok, require_root, wait_for  # noqa: E402

JOBS = 400
MARGIN = 150  # jobs whose exit event still got through (the ring had room)
STORM_S = 10  # as lost_exit_e2e.py: three times what fills the ring


def lines_of(path):
    """The JSON lines written so far (a partial last line is left out)."""
    with open(path) as f:
        text = f.read()
    return [json.loads(line) for line in text.split("\n")[:-1] if line]


def main():
    if len(sys.argv) != 3:
        fail("usage: lost_exit_watch_e2e.py HUPWATCH_BINARY SPAWN_STORM_BINARY")
    require_root()
    binary, storm = sys.argv[1], sys.argv[2]
    jobs = []
    with tempfile.TemporaryDirectory() as work:
        out_path, err_path = os.path.join(work, "watch.json"), os.path.join(work, "watch.err")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            watch = subprocess.Popen([binary, "watch", "--json"], stdout=out, stderr=err)
        stderr = lambda: open(err_path).read()  # noqa: E731
        try:
            wait_for(lambda: "hupwatch: watching" in stderr() or watch.poll() is not None, 20,
                     "hupwatch watch to attach")
            if watch.poll() is not None:
                fail(f"hupwatch watch exited {watch.returncode}: {stderr()!r}")
            jobs = [subprocess.Popen(["sleep", "3600"]) for _ in range(JOBS)]
            pids = {job.pid for job in jobs}

            def identities():
                found = {e["pid"]: e["start_ns"] for e in lines_of(out_path)
                         if e["event"] == "exec" and e["pid"] in pids and e["comm"] == "sleep"}
                return found if len(found) == JOBS else None
            started = wait_for(identities, 20, f"the exec lines of the {JOBS} jobs", interval=0.2)
            ok(f"{JOBS} jobs' execs printed")

            rate, _ = lose_exits(watch.pid, storm, STORM_S, jobs)
            ok(f"watch stopped through a {STORM_S} s storm ({rate} processes/s) and the jobs' deaths")

            def ends():
                found = {pid: [] for pid in pids}
                for e in lines_of(out_path):
                    if e["event"] in ("exit", "exit_unseen") and e["pid"] in pids and \
                            e["start_ns"] == started[e["pid"]]:
                        found[e["pid"]].append(e["event"])
                return found
            wait_for(lambda: all(ends().values()), 30,
                     "an exit or exit_unseen line for every job", interval=0.5)
            # A second end would come within the order window (1 s) plus a poll.
            watch.send_signal(signal.SIGTERM)
            if watch.wait(timeout=10) != 0:
                fail(f"hupwatch watch exited {watch.returncode} on SIGTERM: {stderr()[-2000:]!r}")
            final = ends()
            wrong = {pid: kinds for pid, kinds in final.items() if len(kinds) != 1}
            if wrong:
                fail(f"{len(wrong)} jobs without exactly one end line, e.g. "
                     f"{dict(list(wrong.items())[:5])}")
            unseen = sum(kinds == ["exit_unseen"] for kinds in final.values())
            summary = re.search(r"(\d+) lost in the kernel", stderr())
            lost = int(summary.group(1)) if summary else 0
            if lost == 0:
                fail(f"the storm did not overflow the ring buffer: {stderr()[-500:]!r}")
            if unseen < JOBS - MARGIN:
                fail(f"only {unseen} of {JOBS} jobs have an exit_unseen line "
                     f"({lost} events lost)")
            ok(f"{lost} events lost; each job one end: {unseen} exit_unseen, "
               f"{JOBS - unseen} exit")
        finally:
            for job in jobs:
                if job.poll() is None:
                    job.kill()
                    job.wait()
            if watch.poll() is None:
                watch.kill()
                watch.wait()
    ok("PASS")


if __name__ == "__main__":
    main()
