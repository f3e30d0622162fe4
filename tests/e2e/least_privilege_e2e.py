#!/usr/bin/env python3
"""hupwatch run keeps only the capabilities it still uses once attached, and
works as an unprivileged user with ambient capabilities, as the packaged
unit runs it (DynamicUser= with AmbientCapabilities=).

For each of: root; uid 65534 with CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE and
CAP_DAC_READ_SEARCH as ambient capabilities (setpriv), it checks that
- once running, /proc/PID/status says CapEff = CapPrm = 0x80004
  (CAP_SYS_PTRACE | CAP_DAC_READ_SEARCH) and CapAmb = 0; as root (which has
  CAP_SETPCAP) the bounding set is cut to the same two;
- the ring buffer still delivers: the exec of a marked process is in its
  JSON file, each line with host, boot_id and a seq one above the last;
- the metrics endpoint still serves, with events counted;
- a job left on a hung-up terminal is an orphan whose output is lost, with
  fds 1 and 2 named dead: the kernel's hung_up_tty_write is learned from a
  pty the daemon hangs up itself, since /proc/kallsyms hides its address
  from a daemon without CAP_SYSLOG (it did: output_lost came out false).

Usage: least_privilege_e2e.py HUPWATCH_BINARY   (as root)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import uuid

from e2e_common import (Daemon, InteractiveShell, fail, free_port, kill_quietly, ok, require_root,
                        skip_or_fail, wait_for)

KEPT = (1 << 19) | (1 << 2)  # CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH
AMBIENT = "+bpf,+perfmon,+sys_ptrace,+dac_read_search"


class PrefixedDaemon(Daemon):
    """Daemon, run through PREFIX (setpriv ...) when one is given."""

    def __init__(self, prefix, binary, log_path, args):
        self.log_path = log_path
        self.log = open(log_path, "a")
        self.offset = self.log.tell()
        self.process = subprocess.Popen([*(prefix or []), binary, "run", *args],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.process.pid


def capabilities(pid):
    caps = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Cap"):
                key, value = line.split(":")
                caps[key] = int(value.strip(), 16)
    return caps


def boot_id():
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip().replace("-", "")


def lines_of(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f]


def check_daemon(binary, label, prefix, workdir, as_root):
    port = free_port()
    events = os.path.join(workdir, f"{label}.jsonl")
    args = ["--no-db", "--web.listen-address", f"127.0.0.1:{port}", "--events.json", events]
    daemon = PrefixedDaemon(prefix, binary, os.path.join(workdir, f"{label}.log"), args)
    try:
        daemon.wait_running()
        caps = capabilities(daemon.pid)
        if caps["CapEff"] != KEPT or caps["CapPrm"] != KEPT or caps["CapAmb"] != 0:
            fail(f"{label}: after attach CapEff {caps['CapEff']:#x} CapPrm {caps['CapPrm']:#x} "
                 f"CapAmb {caps['CapAmb']:#x}, expected {KEPT:#x}, {KEPT:#x}, 0")
        if as_root and caps["CapBnd"] != KEPT:
            fail(f"{label}: bounding set {caps['CapBnd']:#x}, expected {KEPT:#x}")
        marker = f"hupwatch-caps-{uuid.uuid4().hex[:8]}"
        subprocess.run(["/bin/sh", "-c", "exit 0", marker], check=True)
        execs = wait_for(
            lambda: [e for e in lines_of(events) if e["event"] == "exec"
                     and marker in e.get("argv", [])], 10, f"{label}: the marked exec")
        lines = lines_of(events)
        if [e["seq"] for e in lines] != list(range(1, len(lines) + 1)):
            fail(f"{label}: seq is not 1..{len(lines)} one by one")
        if execs[0]["boot_id"] != boot_id() or execs[0]["host"] != os.uname().nodename:
            fail(f"{label}: host/boot_id {execs[0]['host']!r} {execs[0]['boot_id']!r}")
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        if b"hupwatch_events_total{" not in body:
            fail(f"{label}: metrics lack hupwatch_events_total")
        ok(f"{label}: CapEff {caps['CapEff']:#018x} CapBnd {caps['CapBnd']:#018x}; exec of pid "
           f"{execs[0]['pid']} recorded as line seq {execs[0]['seq']}; metrics served")
        check_lost_output(label, events)
        daemon.stop()
    finally:
        daemon.kill()


def sighup_ignored(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("SigIgn:"):
                return int(line.split()[1], 16) & 1 != 0
    return False


def check_lost_output(label, events):
    shell = InteractiveShell()
    job = None
    try:
        job = shell.start_job("(trap '' HUP; while :; do echo tick; sleep 0.2; done)")
        # The subshell must ignore SIGHUP before the hangup, or it dies of it.
        wait_for(lambda: sighup_ignored(job), 10, f"{label}: job {job} to ignore SIGHUP")
        shell.hang_up()
        verdict = wait_for(
            lambda: next((e for e in lines_of(events) if e["event"] == "verdict"
                          and e["pid"] == job and e["verdict"] == "orphaned"), None), 15,
            f"{label}: the orphaned verdict of job {job}")
        if verdict["output_lost"] is not True or not {1, 2} <= set(verdict["dead_fds"]):
            fail(f"{label}: job {job} left on a hung-up terminal: output_lost "
                 f"{verdict['output_lost']}, dead_fds {verdict['dead_fds']}")
        ok(f"{label}: job {job} on a hung-up terminal: output lost, dead fds "
           f"{verdict['dead_fds']}")
    finally:
        shell.close()
        if job:
            kill_quietly(job)


def main():
    binary = sys.argv[1]
    require_root()
    if not shutil.which("setpriv"):
        skip_or_fail("setpriv (util-linux) is missing")
    workdir = tempfile.mkdtemp(prefix="hupwatch-caps-")
    os.chmod(workdir, 0o777)
    try:
        check_daemon(binary, "root", None, workdir, as_root=True)
        unprivileged = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        f"--inh-caps={AMBIENT}", f"--ambient-caps={AMBIENT}"]
        check_daemon(binary, "uid 65534 with ambient capabilities", unprivileged, workdir,
                     as_root=False)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


main()
