#!/usr/bin/env python3
"""systemd's kills, seen from the host (root): hupwatch runs on the host and
a Debian 12 container boots a real systemd + logind + sshd
(scripts/container.sh). Its processes are the host's too, under host pids.

- logout with KillUserProcesses=yes: a non-root user's `ssh -T` session
  leaves a nohup job; at logout logind has systemd stop session-N.scope,
  which SIGTERMs the job: `killed`, cause `session_stop`, killer the
  container's systemd (PID 1 there), unit session-N.scope;
- `loginctl terminate-session N` kills a job of that session the same way;
- `systemctl stop` of a scope (`systemd-run --scope`) started from root's
  login kills its process: cause `service_manager`, the unit named.

Each verdict is found by the job's host pid and asserted field by field;
its user is named by the container's /etc/passwd (the host has no such
user, and may give its uid another name).

Usage: session_stop_e2e.py SOURCE_DIR HUPWATCH_BINARY
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import (Daemon, cmdline, fail, free_port, kill_quietly, ok,  # noqa: E402
                        require_root, run, skip_or_fail, wait_for)

SOURCE, BINARY = sys.argv[1], sys.argv[2]
CONTAINER = os.path.join(SOURCE, "scripts/container.sh")
TAG = str(os.getpid())
USER = "hwuser"


def inside(*args, check=True):
    return run(CONTAINER, "exec", *args, check=check)


class Ssh:
    """`ssh -T user@127.0.0.1 CMD` into the container; stdin stays open
    until close(), so a command ending in `read x` keeps the login."""

    def __init__(self, key, port, user, command):
        self.process = subprocess.Popen(
            ["ssh", "-T", "-F", "/dev/null", "-i", key, "-p", str(port), "-o",
             "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
             "BatchMode=yes", "-o", "LogLevel=ERROR", f"{user}@127.0.0.1", command],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def value(self, name):
        """The value after NAME= on the next line of output that has it."""
        for line in self.process.stdout:
            if line.startswith(name + "="):
                return line.strip().split("=", 1)[1]
        fail(f"ssh printed no {name}= (exit {self.process.wait()})")

    def close(self, timeout=20):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            fail("ssh did not end after its stdin closed")


def same_command(found, argv):
    """argv as run, its program by name or by path: systemd-run resolves
    the program to its path (it runs /usr/bin/sleep for `sleep`)."""
    return (found is not None and found[1:] == argv[1:]
            and os.path.basename(found[0]) == argv[0])


def host_pid(argv, container_pid):
    """The host pid of the process with this argv whose innermost pid is
    container_pid (its NSpid's last field)."""
    def find():
        for name in os.listdir("/proc"):
            if name.isdigit() and same_command(cmdline(int(name)), argv):
                try:
                    with open(f"/proc/{name}/status") as f:
                        for line in f:
                            if line.startswith("NSpid:") and line.split()[-1] == container_pid:
                                return int(name)
                except OSError:
                    pass
        return None
    return wait_for(find, 10, f"the host pid of {argv}")


def seen_exec(events, pid, argv):
    """The daemon has written the exec of argv by pid: it has read the
    process's cgroup by then (the unit of a scope stopped before that is
    unknown: systemd removes the cgroup within milliseconds of the stop).
    The argv matters: a pid can exec twice (systemd-run, then the job)."""
    if not os.path.exists(events):
        return False
    with open(events) as f:
        return any(e.get("event") == "exec" and e.get("pid") == pid
                   and same_command(e.get("argv"), argv)
                   for e in map(json.loads, f))


def verdicts(events, pid):
    found = []
    if os.path.exists(events):
        with open(events) as f:
            for line in f:
                e = json.loads(line)
                if e.get("event") == "verdict" and e["pid"] == pid:
                    found.append(e)
    return found


def expect_killed(events, pid, cause, unit, killer_pid, user, what):
    found = wait_for(lambda: verdicts(events, pid), 20, f"a verdict about {what} (pid {pid})")
    killed = [v for v in found if v["verdict"] == "killed"]
    if len(killed) != 1:
        fail(f"{what}: expected one killed verdict, got {found}")
    v = killed[0]
    want = {"cause": cause, "signal": "SIGTERM", "killer_comm": "systemd",
            "killer_pid": killer_pid, "unit": unit, "job": True, "user": user,
            "killer_user": "root"}
    got = {k: v.get(k) for k in want}
    if got != want:
        fail(f"{what}: expected {want}, got {got}: {v}")
    if cause not in ("session_stop", "service_manager") or unit not in v["summary"]:
        fail(f"{what}: the summary does not name the unit: {v['summary']!r}")
    ok(f"{what}: pid {pid} killed, cause {cause}, by systemd {killer_pid}, unit {unit}")


def setup_container(work, port):
    key = os.path.join(work, "key")
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
    inside("sh", "-c", f"id {USER} >/dev/null 2>&1 || useradd -m -s /bin/bash {USER}")
    for home, owner in ((f"/home/{USER}", USER), ("/root", "root")):
        run(CONTAINER, "cp", key + ".pub", f"{home}/.ssh/authorized_keys")
        inside("sh", "-c", f"chown -R {owner}: {home}/.ssh && chmod 700 {home}/.ssh")
    inside("sh", "-c", "mkdir -p /etc/systemd/logind.conf.d && printf '[Login]\\n"
           "KillUserProcesses=yes\\n' >/etc/systemd/logind.conf.d/hupwatch-test.conf "
           "&& systemctl restart systemd-logind")
    wait_for(lambda: inside("systemctl", "is-active", "ssh", check=False).stdout.strip()
             == "active", 20, "the container's sshd")
    return key


def main():
    require_root()
    for tool in ("systemd-nspawn", "ssh", "ssh-keygen"):
        if not shutil.which(tool):
            skip_or_fail(f"{tool} is missing (scripts/install-deps.sh)")
    root = run(CONTAINER, "root").stdout.strip()
    if not os.path.exists(os.path.join(root, ".hupwatch-stamp")):
        skip_or_fail(f"no container rootfs at {root} (scripts/install-deps.sh --container)")
    work = tempfile.mkdtemp(prefix="hupwatch-session-stop-")
    events = os.path.join(work, "events.jsonl")
    port = free_port()
    # A container of our own, its sshd on a port of our own.
    os.environ.update(HUPWATCH_CONTAINER_NAME=f"session-stop-{TAG}",
                      HUPWATCH_CONTAINER_SSH_PORT=str(port))
    daemon = Daemon(BINARY, os.path.join(work, "run.log"),
                    ["--no-db", "--web.listen-address", "127.0.0.1:0", "--events.json", events])
    leftovers = []
    try:
        daemon.wait_running()
        run(CONTAINER, "start")
        systemd = int(run(CONTAINER, "leader").stdout.strip())
        key = setup_container(work, port)

        # Logout with KillUserProcesses=yes.
        argv = ["sleep", f"4001{TAG}"]
        ssh = Ssh(key, port, USER, f"echo SESSION=$XDG_SESSION_ID; nohup {' '.join(argv)} "
                  ">/dev/null 2>&1 </dev/null & echo PID=$!; read x")
        session = ssh.value("SESSION")
        pid = host_pid(argv, ssh.value("PID"))
        leftovers.append(pid)
        # A user logs out of a job that has run a while (seen_exec).
        wait_for(lambda: seen_exec(events, pid, argv), 10, f"the daemon to see {argv} start")
        ssh.close()
        expect_killed(events, pid, "session_stop", f"session-{session}.scope", systemd, USER,
                      "a nohup job at logout (KillUserProcesses=yes)")

        # loginctl terminate-session.
        argv = ["sleep", f"4002{TAG}"]
        ssh = Ssh(key, port, USER, f"echo SESSION=$XDG_SESSION_ID; {' '.join(argv)} "
                  ">/dev/null 2>&1 </dev/null & echo PID=$!; read x")
        session = ssh.value("SESSION")
        pid = host_pid(argv, ssh.value("PID"))
        leftovers.append(pid)
        wait_for(lambda: seen_exec(events, pid, argv), 10, f"the daemon to see {argv} start")
        inside("loginctl", "terminate-session", session)
        expect_killed(events, pid, "session_stop", f"session-{session}.scope", systemd, USER,
                      "a job of a session ended by loginctl terminate-session")
        ssh.close()

        # systemctl stop of a scope started from root's login: an admin
        # runs a job in a unit of its own (`systemd-run --scope`, to bound
        # its memory or find it again), then stops the unit.
        unit = f"hwtest-{TAG}.scope"
        argv = ["sleep", f"4003{TAG}"]
        ssh = Ssh(key, port, "root", f"systemd-run --quiet --scope --unit={unit} {' '.join(argv)} "
                  ">/dev/null 2>&1 </dev/null & echo PID=$!; read x")
        pid = host_pid(argv, ssh.value("PID"))
        leftovers.append(pid)
        # An admin stops a unit that has run a while, not one 0.1 s old.
        wait_for(lambda: seen_exec(events, pid, argv), 10, "the daemon to see the job's exec")
        inside("systemctl", "stop", unit)
        expect_killed(events, pid, "service_manager", unit, systemd, "root",
                      "a process of a scope stopped by systemctl stop")
        ssh.close()
    finally:
        for pid in leftovers:
            kill_quietly(pid)
        run(CONTAINER, "stop", check=False)
        daemon.stop()
        daemon.kill()
    shutil.rmtree(work, ignore_errors=True)


main()
