#!/usr/bin/env python3
"""The event store, round trip: a real pty disconnect recorded by
`hupwatch run --db`, then told back by `why` and `tree --at` while the
daemon still writes.

An interactive bash leads a session on a pty we own, with a plain job
(`sleep 1000 &`, killed by the SIGHUP bash forwards) and a nohup'd one
(survives, orphaned). This test is a child subreaper, so the orphan's new
parent is this test's pid, known in advance. The master is closed, as sshd
does when a connection drops. Then, with exact pids:

- `why KILLED --json`: pid, parent and session; died of SIGHUP, verdict
  killed_by_disconnect forwarded by bash (via), the disconnect of bash's
  session on its tty, hung up by this test; the plain text says so too;
- `why SURVIVOR --json`: orphaned, survived because SIGHUP was ignored, now a
  child of this test (subreaper);
- `tree --at` before the hangup: bash leads the session on its tty with both
  jobs under it; after the verdicts: the survivor under this test, the
  killed job and bash gone;
- `replay --reanalyze --json` over the window of the hangup: the correlator
  run again over the stored raw events derives the findings the daemon drew
  live (`replay --json`), key for key.

Usage: store_roundtrip_e2e.py HUPWATCH_BINARY   (as root)
"""
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from e2e_common import (Daemon, InteractiveShell, cmdline, fail, free_port, kill_quietly, ok,
                        require_root, rfc3339, wait_for, wall_ns)

PR_SET_CHILD_SUBREAPER = 36
JOB = ["sleep", "1000"]


class Store:
    def __init__(self, binary, db):
        self.binary, self.db = binary, db

    def text(self, *args):
        proc = subprocess.run([self.binary, *args, "--db", self.db], capture_output=True,
                              text=True, timeout=30)
        return proc.returncode, proc.stdout, proc.stderr

    def json(self, *args):
        code, out, err = self.text(*args, "--json")
        return json.loads(out) if code == 0 else None

    def why(self, pid):
        return self.json("why", str(pid))

    def tree(self, at_ns):
        reply = self.json("tree", "--at", rfc3339(at_ns))
        if reply is None:
            fail(f"tree --at {rfc3339(at_ns)} failed: {self.text('tree', '--at', rfc3339(at_ns))}")
        return {p["pid"]: p for p in reply["processes"]}


def expect(what, actual, expected):
    if actual != expected:
        fail(f"{what}: {actual!r}, expected {expected!r}")


def reap(pid):
    """Reaps pid if it became our child (we are a subreaper)."""
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def check_killed(why, killed, bash, tty):
    expect("why killed: pid", why["pid"], killed)
    expect("why killed: argv", why["argv"], JOB)
    expect("why killed: ppid", why["ppid"], bash)
    expect("why killed: sid", why["sid"], bash)
    expect("why killed: tty", why["tty"], tty)
    expect("why killed: alive", why["alive"], False)
    expect("why killed: signal", why["signal"], "SIGHUP")
    expect("why killed: via", why["via"], {"pid": bash, "comm": "bash"})
    expect("why killed: verdicts", [v["verdict"] for v in why["verdicts"]], ["killed_by_disconnect"])
    verdict = why["verdicts"][0]
    for key, value in (("signal", "SIGHUP"), ("via_pid", bash), ("disconnect_sid", bash),
                       ("sid", bash), ("tty", tty), ("confidence", "certain")):
        expect(f"why killed: verdict {key}", verdict[key], value)
    hups = [(s["signal"], s["sender_pid"]) for s in why["signals"] if s["signal"] == "SIGHUP"]
    expect("why killed: SIGHUPs received (signal, sender)", hups, [("SIGHUP", bash)])
    disconnect = why["disconnect"]
    if not disconnect:
        fail(f"why killed names no disconnect: {why!r}")
    with open("/proc/self/comm") as f:
        me = f.read().strip()
    for key, value in (("event", "disconnect"), ("pid", bash), ("sid", bash), ("tty", tty),
                       ("comm", "bash"), ("hung_up_by_pid", os.getpid()), ("hung_up_by_comm", me)):
        expect(f"why killed: disconnect {key}", disconnect[key], value)


def check_survivor(why, survivor, bash):
    expect("why survivor: pid", why["pid"], survivor)
    expect("why survivor: alive", why["alive"], True)
    expect("why survivor: orphaned", why["orphaned"], True)
    expect("why survivor: new parent", (why["new_parent"]["pid"], why["new_parent"]["reaper"]),
           (os.getpid(), "subreaper"))
    expect("why survivor: verdicts", [v["verdict"] for v in why["verdicts"]], ["orphaned"])
    verdict = why["verdicts"][0]
    for key, value in (("cause", "disconnect"), ("survived_because", "sighup_ignored"),
                       ("disconnect_sid", bash), ("new_parent_pid", os.getpid()),
                       ("reaper", "subreaper")):
        expect(f"why survivor: verdict {key}", verdict[key], value)


def findings_of_session(store, sid, since, until, *flags):
    code, out, err = store.text("replay", "--session", str(sid), "--since", rfc3339(since),
                                "--until", rfc3339(until), "--json", *flags)
    if code != 0:
        fail(f"replay {' '.join(flags)}: exit {code}: {err}")
    lines = [json.loads(line) for line in out.splitlines() if line]
    return {(f["event"], f["pid"]): f for f in lines
            if f["event"] in ("disconnect", "session_end", "verdict")}


def check_reanalyzed(store, bash, since, until):
    """The live findings (as stored) and the reanalyzed ones, key for key."""
    live = findings_of_session(store, bash, since, until)
    again = findings_of_session(store, bash, since, until, "--reanalyze")
    expect("reanalyze: the findings (event, pid)", sorted(again), sorted(live))
    for which, finding in live.items():
        for key in sorted(set(finding) | set(again[which])):
            expect(f"reanalyze: {which} {key}", again[which].get(key), finding.get(key))
    return sorted(live)


def main():
    if len(sys.argv) != 2:
        fail("usage: store_roundtrip_e2e.py HUPWATCH_BINARY")
    binary = sys.argv[1]
    require_root()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        fail(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")

    work = tempfile.mkdtemp(prefix="hupwatch-store-")
    db = os.path.join(work, "h.db")
    store = Store(binary, db)
    daemon = Daemon(binary, os.path.join(work, "hupwatch.log"),
                    ["--db", db, f"--web.listen-address=127.0.0.1:{free_port()}"])
    shell = None
    jobs = []
    try:
        daemon.wait_running()
        shell = InteractiveShell()
        bash = shell.pid
        tty = shell.query("$(tty)").removeprefix("/dev/")
        killed = shell.start_job("sleep 1000")
        survivor = shell.start_job("nohup sleep 1000 >/dev/null 2>&1")
        jobs = [killed, survivor]
        for pid in jobs:
            wait_for(lambda: cmdline(pid) == JOB, 10, f"job {pid} to run {JOB}")
        # Both execs committed: whatever the store's clock says, "now" is after them.
        for pid in jobs:
            wait_for(lambda: (store.why(pid) or {}).get("argv") == JOB, 10,
                     f"the exec of job {pid} in the store")
        before = wall_ns()

        status = shell.hang_up()
        if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGHUP):
            fail(f"the shell did not die of SIGHUP (status {status})")
        wait_for(lambda: cmdline(killed) is None, 10, f"the plain job {killed} to die")
        reap(killed)  # when bash went first, it died our (zombie) child
        if cmdline(survivor) != JOB:
            fail(f"the nohup'd job {survivor} did not survive the hangup")

        why_killed = wait_for(lambda: (w := store.why(killed)) and w["verdicts"] and w, 10,
                              f"the verdict on {killed} in the store")
        check_killed(why_killed, killed, bash, tty)
        why_survivor = wait_for(lambda: (w := store.why(survivor)) and w["verdicts"] and w, 10,
                                f"the verdict on {survivor} in the store")
        check_survivor(why_survivor, survivor, bash)
        after = wall_ns()
        ok(f"why: job {killed} killed_by_disconnect (SIGHUP via bash {bash}, session {bash} on "
           f"{tty}); job {survivor} orphaned to {os.getpid()} (subreaper)")

        code, text, err = store.text("why", str(killed))
        if code != 0:
            fail(f"why {killed}: exit {code}: {err}")
        for phrase in (f"session {bash} of root on {tty} hung up",
                       f"killed_by_disconnect: sleep {killed} killed by SIGHUP",
                       f"disconnect of session {bash}, forwarded by bash {bash}"):
            if phrase not in text:
                fail(f"why {killed} (text) lacks {phrase!r}:\n{text}")

        tree = store.tree(before)
        for pid, ppid in ((bash, os.getpid()), (killed, bash), (survivor, bash)):
            if pid not in tree:
                fail(f"tree --at {rfc3339(before)} lacks {pid}: {sorted(tree)}")
            p = tree[pid]
            expect(f"tree before: {pid} (ppid, sid, tty)", (p["ppid"], p["sid"], p["tty"]),
                   (ppid, bash, tty))
        expect("tree before: bash's comm", tree[bash]["comm"], "bash")
        expect("tree before: jobs' argv", [tree[killed]["argv"], tree[survivor]["argv"]], [JOB, JOB])

        tree = store.tree(after)
        for gone in (bash, killed):
            if gone in tree:
                fail(f"tree --at {rfc3339(after)} still shows {gone}: {tree[gone]!r}")
        if survivor not in tree:
            fail(f"tree --at {rfc3339(after)} lacks the survivor {survivor}")
        expect("tree after: survivor's (ppid, sid, argv)",
               (tree[survivor]["ppid"], tree[survivor]["sid"], tree[survivor]["argv"]),
               (os.getpid(), bash, JOB))
        ok(f"tree --at: before, bash {bash} on {tty} with jobs {killed} and {survivor}; "
           f"after, only {survivor}, under {os.getpid()}")

        compared = check_reanalyzed(store, bash, before, wall_ns())
        ok(f"replay --reanalyze: the same findings as live, key for key: {compared}")

        daemon.stop()
        ok("hupwatch run stopped with exit 0")
    finally:
        if shell:
            shell.close()
        for pid in jobs:
            kill_quietly(pid)
            reap(pid)
        daemon.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
