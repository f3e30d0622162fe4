#!/usr/bin/env python3
"""The orphan gauges after a restart (issue 15: hupwatch_orphaned_jobs
counted only the orphans the running daemon saw being made, 2 where `ps`
listed 5, and the oldest-age gauge started again from 0).

While no daemon of ours runs, three jobs are orphaned: a bash leading its
own session starts them and exits, and they are reparented to this test (a
child subreaper, so their new parent is known). Their command is a link
to sleep with a name of our own, so their series is ours alone on a shared
host. `hupwatch ps` must call them orphaned. Then `hupwatch run` starts and
its first scrape after "running" must show:
- hupwatch_orphaned_jobs{user="root",comm=OURS} 3;
- hupwatch_oldest_orphaned_job_age_seconds at least the age of our oldest
  job from its real start (/proc/PID/stat), not from the daemon's start;
then one of them is killed: the gauge drops to 2 (its exit event names it
with a precise start, /proc's is a tick coarser); and after a restart the
first scrape shows 2 again.

Usage: orphan_gauge_restart_e2e.py HUPWATCH_BINARY   (as root)
"""
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from e2e_common import Daemon, fail, free_port, kill_quietly, ok, require_root, wait_for

PR_SET_CHILD_SUBREAPER = 36
COMM = "hwseedorphan"  # 12 bytes: within comm's 15


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        return reply.read().decode()


def sample(text, name, labels=""):
    pattern = "^" + re.escape(name + (("{" + labels + "}") if labels else "")) + r" (\S+)$"
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else None


def age_of(pid):
    """Seconds since the process started, from /proc (CLOCK_BOOTTIME)."""
    with open(f"/proc/{pid}/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def make_orphans(link, count):
    """count jobs started by a session-leading bash that then exits."""
    jobs = " ".join(f"{link} {1000 + n} </dev/null >/dev/null 2>&1 & echo $!;" for n in range(count))
    out = subprocess.run(["bash", "-c", jobs], capture_output=True, text=True,
                         start_new_session=True, timeout=10).stdout
    return [int(p) for p in out.split()]


def ps_orphans(binary):
    doc = json.loads(subprocess.run([binary, "ps", "--json", "--all"], capture_output=True,
                                    text=True, timeout=30).stdout)
    found = {}

    def walk(nodes):
        for node in nodes:
            found[node["pid"]] = node["risk"]
            walk(node["children"])
    walk(doc["processes"])
    return found


def main():
    require_root()
    binary = os.path.abspath(sys.argv[1])
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        fail(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")
    work = tempfile.mkdtemp(prefix="hupwatch-orphans-")
    link = os.path.join(work, COMM)
    os.symlink(shutil.which("sleep"), link)
    orphans = make_orphans(link, 3)
    daemon = None
    try:
        wait_for(lambda: all(open(f"/proc/{p}/stat").read()
                             .rsplit(")", 1)[1].split()[1] == str(os.getpid()) for p in orphans),
                 10, "the jobs to be reparented to this test")
        risks = ps_orphans(binary)
        if any(risks.get(p) != "orphaned" for p in orphans):
            fail(f"hupwatch ps does not call our jobs orphaned: {[risks.get(p) for p in orphans]}")
        time.sleep(2)  # an age the daemon cannot have seen itself
        oldest = max(age_of(p) for p in orphans)
        ok(f"orphans {orphans} made with no daemon running, {oldest:.1f}s old")

        port = free_port()
        daemon = Daemon(binary, os.path.join(work, "run.log"),
                        ["--no-db", f"--web.listen-address=127.0.0.1:{port}"])
        daemon.wait_running()
        text = scrape(port)
        labels = f'user="root",comm="{COMM}"'
        count = sample(text, "hupwatch_orphaned_jobs", labels)
        if count != 3:
            fail(f"first scrape after start: hupwatch_orphaned_jobs{{{labels}}} = {count}, want 3")
        age = sample(text, "hupwatch_oldest_orphaned_job_age_seconds")
        if age is None or age < oldest - 0.5:
            fail(f"oldest orphaned job age {age}, want at least {oldest:.1f} (from its start)")
        ok(f"first scrape: 3 orphaned jobs, oldest {age:.1f}s (ours {oldest:.1f}s)")

        os.kill(orphans[0], signal.SIGKILL)
        os.waitpid(orphans[0], 0)
        wait_for(lambda: sample(scrape(port), "hupwatch_orphaned_jobs", labels) == 2, 10,
                 "the gauge to drop to 2 after one exit")
        ok("an exit of a seeded orphan leaves the gauge")

        daemon.stop()
        daemon.kill()
        daemon = Daemon(binary, os.path.join(work, "run.log"),
                        ["--no-db", f"--web.listen-address=127.0.0.1:{port}"])
        daemon.wait_running()
        count = sample(scrape(port), "hupwatch_orphaned_jobs", labels)
        if count != 2:
            fail(f"after a restart: hupwatch_orphaned_jobs{{{labels}}} = {count}, want 2")
        ok("after a restart the first scrape counts the 2 orphans left")
        daemon.stop()
    finally:
        if daemon:
            daemon.kill()
        for pid in orphans:
            kill_quietly(pid)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
