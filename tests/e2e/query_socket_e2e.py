#!/usr/bin/env python3
"""Answers for ordinary users: `hupwatch run` answers why, replay and tree on
its query socket, and each unprivileged caller sees only their own processes.

Two users with no rights on the store (uids 4243 and 4244, set with
setpriv) each start a job from a shell of their own; the test kills both
with SIGTERM. Then, as user A:
- `why PID_A` is answered through the socket: pid, start, signal SIGTERM;
  A's job (on a terminal of its own, so a job with a verdict) was killed by
  root's `bash -c 'kill ...; : MARKER'`: the verdict names bash, run by
  root, and root's command line appears nowhere (text, JSON, replay);
- `why PID_B` finds nothing (exit 1), and B's argv marker appears nowhere;
- `replay` (everything since the start) has A's SIGTERM and nothing of B;
  `replay --pid PID_A --json` has A's exec with A's marker; `--pid PID_B`
  is empty;
- `tree --at` a time both jobs lived lists A's job, not B's;
- with no daemon on the socket: one line and exit 17;
- malformed and oversized requests get an error answer, idle clients
  beyond the bound are refused, the daemon keeps answering; the metrics
  count answered, bad_request and refused.

Usage: query_socket_e2e.py HUPWATCH_BINARY   (as root)
"""
import json
import os
import pty
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import urllib.request

from e2e_common import (Daemon, cmdline, fail, free_port, ok, require_root, rfc3339, skip_or_fail,
                        wait_for, wall_ns)

USER_A, USER_B = 4243, 4244
ROOT_MARKER = "root_killer_marker_q7"


def as_user(uid, args):
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--", *args]


class Job:
    """`sh -c 'exec sleep 1000' MARKER`, forked by a shell running as uid (so its
    fork, exec and exit all carry that uid). With tty, the shell leads a pty
    of its own, so the job has a terminal and its death a verdict."""

    def __init__(self, uid, marker, tty=False):
        self.marker = marker
        argv = as_user(uid, ["sh", "-c", f"sh -c 'exec sleep 1000' {marker} & echo $!; wait"])
        self.shell = None
        if tty:
            self.shell_pid, self.fd = pty.fork()
            if self.shell_pid == 0:
                os.execvp(argv[0], argv)
            out = b""
            while not re.search(rb"^\d+\r?\n", out, re.M):
                out += os.read(self.fd, 1024)
            self.pid = int(re.search(rb"^(\d+)\r?\n", out, re.M).group(1))
        else:
            self.fd = None
            self.shell = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True,
                                          start_new_session=True)
            self.shell_pid = self.shell.pid
            self.pid = int(self.shell.stdout.readline())

    def close(self):
        try:
            os.killpg(self.shell_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.shell is not None:
            self.shell.wait()
        else:
            os.waitpid(self.shell_pid, 0)
            os.close(self.fd)


def stored_killer_argv(db_path, pid):
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT json FROM findings WHERE kind = 'verdict' AND pid = ?",
                         (pid,)).fetchone()
        return json.loads(row[0]).get("killer_argv") if row else None
    finally:
        db.close()


def stored_exit(db_path, pid):
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT json FROM events WHERE type = 'exit' AND pid = ?",
                          (pid,)).fetchone()
    finally:
        db.close()


def run_as(uid, binary, args):
    return subprocess.run(as_user(uid, [binary, *args]), capture_output=True, text=True,
                          timeout=60)


def raw_query(sock_path, payload, uid):
    """Sends payload as uid (a child that drops to uid) and returns the reply."""
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())\n"
            "s.shutdown(socket.SHUT_WR); d=b''\n"
            "while True:\n  c=s.recv(65536)\n  if not c: break\n  d+=c\n"
            "sys.stdout.buffer.write(d)\n")
    r = subprocess.run(as_user(uid, [sys.executable, "-c", code, sock_path]), input=payload,
                       capture_output=True, timeout=30)
    return r.stdout.decode(errors="replace")


def metric(port, name, labels):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(f"{name}{{{labels}}} "):
            return float(line.split()[-1])
    fail(f"no {name}{{{labels}}} in the metrics")


def check_answers(binary, db, sock, job_a, job_b, both_alive_at, since):
    common = ["--db", db, "--query.socket", sock]
    why_a = run_as(USER_A, binary, ["why", str(job_a.pid), "--json", *common])
    if why_a.returncode != 0:
        fail(f"why {job_a.pid} as its owner: exit {why_a.returncode}: {why_a.stderr!r}")
    j = json.loads(why_a.stdout)
    if (j["pid"], j["uid"], j["signal"], j["alive"]) != (job_a.pid, USER_A, "SIGTERM", False):
        fail(f"why {job_a.pid}: {j!r}")
    ok(f"why {job_a.pid} as uid {USER_A}: killed by SIGTERM, answered through the socket")
    verdict = j["verdicts"][0] if j["verdicts"] else {}
    why_text = run_as(USER_A, binary, ["why", str(job_a.pid), *common])
    if (verdict.get("killer_comm"), verdict.get("killer_user"), verdict.get("killer_argv")) != \
            ("bash", "root", []) or ROOT_MARKER in why_a.stdout + why_text.stdout:
        fail(f"why {job_a.pid}: root's command line shown to user A: {verdict!r} "
             f"{why_text.stdout!r}")
    if "from `bash` (pid" not in why_text.stdout:
        fail(f"why {job_a.pid}: the killer is not named by its comm: {why_text.stdout!r}")
    ok(f"why {job_a.pid} as uid {USER_A}: killed by root's bash, its command line withheld")

    why_b = run_as(USER_A, binary, ["why", str(job_b.pid), *common])
    if why_b.returncode != 1 or job_b.marker in why_b.stdout + why_b.stderr:
        fail(f"why {job_b.pid} (user B's) as user A: exit {why_b.returncode}: "
             f"{why_b.stdout!r} {why_b.stderr!r}")
    ok(f"why {job_b.pid} (another user's) as uid {USER_A}: not found, exit 1")

    replay = run_as(USER_A, binary, ["replay", "--since", rfc3339(since), "--json", *common])
    lines = [json.loads(line) for line in replay.stdout.splitlines()]
    if replay.returncode != 0 or job_b.marker in replay.stdout or ROOT_MARKER in replay.stdout:
        fail(f"replay as user A: exit {replay.returncode}, {replay.stdout!r}")
    if not any(l["event"] == "signal" and l.get("pid") == job_a.pid and l["signal"] == "SIGTERM"
               for l in lines):
        fail(f"replay as user A lacks the SIGTERM of {job_a.pid}: {replay.stdout!r}")
    if any(l.get("pid") == job_b.pid for l in lines):
        fail(f"replay as user A shows user B's {job_b.pid}: {replay.stdout!r}")
    own = run_as(USER_A, binary, ["replay", "--pid", str(job_a.pid), "--json", *common])
    if not any(l["event"] == "exec" and job_a.marker in l["argv"]
               for l in map(json.loads, own.stdout.splitlines())):
        fail(f"replay --pid {job_a.pid} as its owner lacks its exec: {own.stdout!r}")
    # Runs are no one's: only the run's start line.
    other = run_as(USER_A, binary, ["replay", "--pid", str(job_b.pid), "--json", *common])
    if (other.returncode != 0 or job_b.marker in other.stdout + other.stderr or
            [l["event"] for l in map(json.loads, other.stdout.splitlines())] != ["hupwatch_start"]):
        fail(f"replay --pid {job_b.pid} as user A: {other.returncode} {other.stdout!r}")
    ok("replay as user A: A's SIGTERM and exec argv, nothing of B's")

    tree = run_as(USER_A, binary, ["tree", "--at", rfc3339(both_alive_at), "--json", *common])
    if tree.returncode != 0:
        fail(f"tree as user A: exit {tree.returncode}: {tree.stderr!r}")
    pids = {p["pid"] for p in json.loads(tree.stdout)["processes"]}
    uids = {p["uid"] for p in json.loads(tree.stdout)["processes"]}
    if job_a.pid not in pids or job_b.pid in pids or uids != {USER_A}:
        fail(f"tree --at as user A: pids {sorted(pids)}, uids {uids}")
    ok(f"tree --at as user A: {len(pids)} of A's processes, none of B's")

    gone = run_as(USER_A, binary, ["why", str(job_a.pid), "--db", db, "--query.socket",
                                   sock + ".none"])
    if gone.returncode != 17 or len(gone.stderr.splitlines()) != 1 or "no hupwatch daemon" not in gone.stderr:
        fail(f"without a daemon: exit {gone.returncode}, {gone.stderr!r}")
    ok(f"no daemon: exit 17, {gone.stderr.strip()!r}")


def check_abuse(sock, port, binary, db, job_a):
    bad = raw_query(sock, b"not json\n", USER_A)
    if not bad.startswith('{"exit":2,') or "bad query" not in bad:
        fail(f"a malformed request got {bad!r}")
    big = raw_query(sock, b'{"command":"why","args":["' + b"x" * 8000 + b'"]}\n', USER_A)
    if "bad query" not in big:
        fail(f"an oversized request got {big!r}")
    # Idle clients: two workers wait on two, eight wait in line, the rest
    # are refused at once.
    idle = []
    for _ in range(14):
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        idle.append(s)
    wait_for(lambda: metric(port, "hupwatch_query_requests_total", 'result="refused"') >= 1, 10,
             "a refusal counted")
    for s in idle:
        s.close()
    answered = run_as(USER_A, binary, ["why", str(job_a.pid), "--db", db, "--query.socket", sock])
    if answered.returncode != 0:
        fail(f"after the idle clients: exit {answered.returncode}: {answered.stderr!r}")
    wait_for(lambda: metric(port, "hupwatch_query_requests_total", 'result="bad_request"') == 2,
             5, "2 bad requests counted")
    ok("malformed and oversized requests refused; idle clients bounded; answers go on")


def main():
    if len(sys.argv) != 2:
        fail("usage: query_socket_e2e.py HUPWATCH_BINARY")
    require_root()
    if shutil.which("setpriv") is None:
        skip_or_fail("needs setpriv (util-linux)")
    work = tempfile.mkdtemp(prefix="hupwatch-query-")
    os.chmod(work, 0o755)  # the users reach the binary and the socket, not the store
    binary = os.path.join(work, "hupwatch")
    shutil.copy(sys.argv[1], binary)
    db = os.path.join(work, "store", "h.db")
    sock = os.path.join(work, "run", "query.sock")
    port = free_port()
    daemon = Daemon(binary, os.path.join(work, "hupwatch.log"),
                    ["--db", db, "--query.socket", sock, f"--web.listen-address=127.0.0.1:{port}",
                     "--no-default-redactions"])
    jobs = []
    try:
        daemon.wait_running()
        since = wall_ns()
        jobs = [Job(USER_A, "marker_of_user_a", tty=True), Job(USER_B, "marker_of_user_b")]
        # Both execs done (sh with the marker, then sleep): the time both
        # lived is known.
        wait_for(lambda: all(cmdline(j.pid) == ["sleep", "1000"] for j in jobs), 10,
                 "the jobs to exec sleep")
        both_alive_at = wall_ns()
        # A's job by root's shell, whose command line A must never see.
        subprocess.run(["bash", "-c", f"kill -TERM {jobs[0].pid}; : {ROOT_MARKER}"], check=True)
        os.kill(jobs[1].pid, signal.SIGTERM)
        for j in jobs:
            wait_for(lambda: stored_exit(db, j.pid), 20, f"the stored exit of {j.pid}")
        wait_for(lambda: ROOT_MARKER in " ".join(stored_killer_argv(db, jobs[0].pid) or []), 20,
                 f"the stored verdict of {jobs[0].pid} naming root's command line")
        denied = run_as(USER_A, binary, ["replay", "--db", db, "--query.socket", sock])
        if "Permission denied" in denied.stderr and denied.returncode == 15:
            fail("the CLI did not turn to the socket on a store it cannot read")
        check_answers(binary, db, sock, jobs[0], jobs[1], both_alive_at, since)
        check_abuse(sock, port, binary, db, jobs[0])
        # Nine commands went through the socket; metrics publish every 250 ms.
        wait_for(lambda: metric(port, "hupwatch_query_requests_total", 'result="answered"') == 9,
                 5, "9 answered requests counted")
        daemon.stop()
        if os.path.exists(sock):
            fail(f"{sock} left behind after a clean stop")
        ok("clean stop removes the socket")
    finally:
        for j in jobs:
            j.close()
        daemon.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
