#!/usr/bin/env python3
"""hupwatch in a pid namespace of its own reports pids as that namespace
numbers them (docs/deploy.md, "Containers"), as root:

- `run` in a new pid namespace with its own /proc (unshare --pid --fork
  --mount-proc): a job started there on a pty and killed with SIGTERM by
  another process there gets its `killed` verdict under its in-namespace
  pid, start time and signal, with the killer's in-namespace pid; an exec on
  the host while it runs never appears, and
  hupwatch_events_hidden_by_pid_namespace_total counts what it dropped;
- `check` there loads, attaches and names the namespace it reports pids in;
- with /proc of another pid namespace (unshare without --mount-proc), `run`
  and `watch` stop with exit 16 and one line; `check` loads, then says so.

Usage: pid_namespace_e2e.py HUPWATCH_BINARY   (as root)
       pid_namespace_e2e.py --inside HUPWATCH_BINARY WORK_DIR PORT   (the part
       that runs in the new namespace, as its pid 1)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from e2e_common import (Daemon, InteractiveShell, fail, free_port, ok, require_root,
                        skip_or_fail, wait_for)

EXIT_PID_NAMESPACE = 16
HIDDEN_METRIC = "hupwatch_events_hidden_by_pid_namespace_total"
INITIAL_PID_NAMESPACE_INODE = 4026531836


def start_ticks(pid):
    """Field 22 of /proc/PID/stat: the start in clock ticks since boot."""
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def events(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f]


def metric(port, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    found = re.search(rf"^{name} (\S+)$", text, re.M)
    if not found:
        fail(f"{name} is not in the exposition")
    return float(found.group(1))


def inside(binary, work, port):
    """In the new pid namespace, as its pid 1: the daemon, a job on a pty,
    its killer. Writes what the host side checks to WORK/inside.json."""
    if os.getpid() != 1:
        fail(f"--inside runs as pid {os.getpid()}, not the new namespace's pid 1")
    path = os.path.join(work, "events.jsonl")
    daemon = Daemon(binary, os.path.join(work, "daemon.log"),
                    [f"--web.listen-address=127.0.0.1:{port}", "--no-db",
                     f"--events.json={path}"])
    shell = None
    try:
        daemon.wait_running(timeout=60)
        if "pids are reported in pid namespace pid:[" not in daemon.output():
            fail(f"the daemon did not say which pid namespace it reports: {daemon.output()!r}")
        shell = InteractiveShell()
        job = shell.start_job("sleep 1000")
        ticks = start_ticks(job)
        killer = subprocess.Popen(["kill", "-TERM", str(job)])
        if killer.wait(timeout=10) != 0:
            fail(f"kill -TERM {job} failed")

        def verdict():
            return [e for e in events(path) if e["event"] == "verdict" and e["pid"] == job]
        found = wait_for(verdict, 20, f"the verdict on job {job}")
        wait_for(lambda: metric(port, HIDDEN_METRIC) > 0, 20, f"{HIDDEN_METRIC} > 0")
        result = {"job": job, "job_ticks": ticks, "shell": shell.pid, "killer": killer.pid,
                  "verdicts": found, "hidden": metric(port, HIDDEN_METRIC),
                  "tick_ns": 1_000_000_000 // os.sysconf("SC_CLK_TCK")}
        with open(os.path.join(work, "inside.json"), "w") as f:
            json.dump(result, f)
        daemon.stop()
    finally:
        if shell:
            shell.close()
        daemon.kill()


def in_new_pid_namespace(*args, mount_proc=True, timeout=30):
    unshare = ["unshare", "--pid", "--fork"] + (["--mount-proc"] if mount_proc else [])
    return subprocess.run(unshare + list(args), capture_output=True, text=True, timeout=timeout)


def check_job_killed_in_namespace(binary):
    work = tempfile.mkdtemp(prefix="hupwatch-pidns-")
    port = free_port()
    marker = f"hw-pidns-host-{os.getpid()}"
    inner = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", sys.executable,
                              os.path.abspath(__file__), "--inside", binary, work, str(port)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # Host processes while the daemon runs: none of them may appear.
        deadline = time.monotonic() + 120
        while inner.poll() is None and time.monotonic() < deadline:
            subprocess.run(["/bin/sh", "-c", "exit 0", marker])
            time.sleep(0.05)
        if inner.poll() is None:
            inner.kill()
            fail("the part in the new pid namespace did not finish in 120 s")
        output = inner.stdout.read()
        if inner.returncode != 0:
            fail(f"in the new pid namespace: exit {inner.returncode}: {output[-3000:]}")
        with open(os.path.join(work, "inside.json")) as f:
            r = json.load(f)
        check_verdict(r)
        seen = [e for e in events(os.path.join(work, "events.jsonl"))
                if marker in e.get("argv", []) or e.get("comm") == "unshare"]
        if seen:
            fail(f"host processes appear in the namespace's events: {seen[:2]}")
        execs = [e for e in events(os.path.join(work, "events.jsonl")) if e["event"] == "exec"]
        if not any(e["argv"][:1] == ["kill"] and e["pid"] == r["killer"] for e in execs):
            fail("the namespace's own exec of kill is missing: the file proves nothing")
        if r["hidden"] <= 0:
            fail(f"{HIDDEN_METRIC} is {r['hidden']}")
        ok(f"host execs ({marker}) absent; {HIDDEN_METRIC} = {r['hidden']:.0f}")
    finally:
        if inner.poll() is None:
            inner.kill()
        shutil.rmtree(work, ignore_errors=True)


def check_verdict(r):
    if len(r["verdicts"]) != 1:
        fail(f"expected one verdict on job {r['job']}, got {r['verdicts']}")
    v = r["verdicts"][0]
    start_ticks_seen = v["start_ns"] // r["tick_ns"]
    expected = {"verdict": "killed", "signal": "SIGTERM", "comm": "sleep", "ppid": r["shell"],
                "killer_pid": r["killer"], "killer_comm": "kill", "cause": "operator"}
    wrong = {k: v.get(k) for k, want in expected.items() if v.get(k) != want}
    if wrong or start_ticks_seen != r["job_ticks"]:
        fail(f"verdict on job {r['job']}: expected {expected} and start tick {r['job_ticks']}, "
             f"got {wrong} and tick {start_ticks_seen}: {v}")
    ok(f"job {r['job']} (its pid in the namespace) killed by SIGTERM from kill {r['killer']} "
       f"(ppid {r['shell']}, start tick {r['job_ticks']}): {v['summary']}")


def check_check(binary):
    inode = os.stat("/proc/self/ns/pid").st_ino
    if inode != INITIAL_PID_NAMESPACE_INODE:
        fail(f"this test runs in pid:[{inode}], not the host's: a new one would be level 2")
    result = in_new_pid_namespace(binary, "check", timeout=60)
    shown = re.search(r"pids reported in\s+pid:\[(\d+)\], level 1 \(not the host's\)",
                      result.stdout)
    if result.returncode != 0 or not shown or int(shown.group(1)) in (inode, 0) \
            or "result: ok" not in result.stdout:
        fail(f"check in a new pid namespace exited {result.returncode}: "
             f"{result.stdout!r} {result.stderr!r}")
    ok(f"check in a new pid namespace: exit 0, pids reported in pid:[{shown.group(1)}], level 1")
    result = subprocess.run([binary, "check"], capture_output=True, text=True, timeout=60)
    if "initial (host)" not in result.stdout or \
            not re.search(r"pids reported in\s+the initial \(host\) one", result.stdout):
        fail(f"check on the host does not report the initial namespace: {result.stdout!r}")
    ok("check on the host: pids reported in the initial (host) one")


def check_foreign_proc(binary):
    """/proc of another namespace (no --mount-proc): what cannot work."""
    for args in (["run", "--no-db", "--web.listen-address", "127.0.0.1:0"], ["watch"]):
        result = in_new_pid_namespace(binary, *args, mount_proc=False)
        lines = result.stderr.strip().splitlines()
        if result.returncode != EXIT_PID_NAMESPACE:
            fail(f"{args[0]} with /proc of another pid namespace exited {result.returncode}, "
                 f"expected 16: {result.stderr.strip()!r}")
        if len(lines) != 1 or "/proc belongs to another pid namespace" not in lines[0] \
                or "--mount-proc" not in lines[0]:
            fail(f"{args[0]}: expected one line naming /proc's pid namespace: {lines}")
        ok(f"{args[0]} refused: {lines[0]}")
    result = in_new_pid_namespace(binary, "check", mount_proc=False, timeout=60)
    if result.returncode != EXIT_PID_NAMESPACE or "another pid namespace's (" not in \
            result.stdout or "loaded and attached" not in result.stdout:
        fail(f"check exited {result.returncode}: {result.stdout!r} {result.stderr!r}")
    ok("check reports the foreign /proc as the problem (BPF itself loads), exit 16")


def main():
    if sys.argv[1] == "--inside":
        inside(*sys.argv[2:4], int(sys.argv[4]))
        return
    binary = os.path.abspath(sys.argv[1])
    require_root()
    if not shutil.which("unshare"):
        skip_or_fail("unshare (util-linux) is missing")
    check_check(binary)
    check_foreign_proc(binary)
    check_job_killed_in_namespace(binary)


main()
