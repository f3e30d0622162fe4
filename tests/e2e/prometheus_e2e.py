#!/usr/bin/env python3
"""hupwatch run under a real Prometheus, end to end.

Starts `hupwatch run` and a Prometheus server (Debian's, no service manager)
scraping it every second, runs a real pty disconnect (an interactive bash
with jobs; the pty master is closed, as sshd does when a connection drops),
then asserts through Prometheus's HTTP API that
hupwatch_jobs_killed_total{cause="disconnect"} rose by exactly the number of
jobs killed, and that every query of the Grafana dashboard is accepted and
returns data.

Usage: prometheus_e2e.py HUPWATCH_BINARY REPO_ROOT   (as root)
"""
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

KILLED_JOBS = 3


def fail(message):
    print(f"prometheus_e2e: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def skip_or_fail(message):
    if os.environ.get("CI") == "true":
        fail(f"{message} (CI=true: required)")
    print(f"prometheus_e2e: SKIPPED: {message}")
    sys.exit(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    fail(f"timed out after {timeout}s waiting for {what}")


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.read().decode()
    except OSError:
        return None


class Prometheus:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def query(self, expr):
        url = f"{self.base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                return json.load(reply)
        except urllib.error.HTTPError as error:  # 400 for a bad query
            return json.load(error)
        except OSError as error:
            return {"status": "error", "error": str(error)}

    def scalar(self, expr):
        reply = self.query(expr)
        if reply.get("status") != "success" or not reply["data"]["result"]:
            return None
        return float(reply["data"]["result"][0]["value"][1])


class InteractiveShell:
    """bash as session leader of a pty we own (pty.fork: setsid + TIOCSCTTY)."""

    def __init__(self):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ.update(PS1="$ ", TERM="dumb", HISTFILE="/dev/null")
            os.environ.pop("PROMPT_COMMAND", None)
            os.execvp("bash", ["bash", "--norc", "--noprofile", "--noediting", "-i"])
        self.buffer = ""
        self.run("stty -echo; echo READY_$((6*7))", "READY_42")

    def run(self, line, marker, timeout=10):
        os.write(self.fd, (line + "\n").encode())
        deadline = time.monotonic() + timeout
        while marker not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"shell did not print {marker!r}; output so far: {self.buffer!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                self.buffer += os.read(self.fd, 4096).decode(errors="replace")
        out, self.buffer = self.buffer.split(marker, 1)
        return out

    def start_job(self, command, n):
        self.run(f"{command} & echo JOB{n}=$!; echo DONE_$(({n}+1000))", f"DONE_{n + 1000}")
        # The pid line came before the marker; it is in what run() returned.

    def hang_up(self):
        os.close(self.fd)
        _, status = os.waitpid(self.pid, 0)
        return status


def main():
    if len(sys.argv) != 3:
        fail("usage: prometheus_e2e.py HUPWATCH_BINARY REPO_ROOT")
    binary, repo = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        skip_or_fail("needs root to load BPF")
    for tool in ("prometheus",):
        if not shutil.which(tool):
            skip_or_fail(f"{tool} is missing (Debian package prometheus)")

    work = tempfile.mkdtemp(prefix="hupwatch-e2e-")
    processes = []
    orphans = []
    try:
        hw_port, prom_port = free_port(), free_port()
        hw_log = open(os.path.join(work, "hupwatch.log"), "w")
        hupwatch = subprocess.Popen(
            [binary, "run", f"--web.listen-address=127.0.0.1:{hw_port}", "--audit.interval=1",
             "--no-db"],
            stdout=hw_log, stderr=subprocess.STDOUT)
        processes.append(hupwatch)
        wait_for(lambda: http_get(f"http://127.0.0.1:{hw_port}/metrics"), 20, "hupwatch's /metrics")

        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: hupwatch
    static_configs:
      - targets: ['127.0.0.1:{hw_port}']
""")
        prom_log = open(os.path.join(work, "prometheus.log"), "w")
        server = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={work}/data",
             f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=prom_log, stderr=subprocess.STDOUT)
        processes.append(server)
        prom = Prometheus(prom_port)
        wait_for(lambda: http_get(f"{prom.base}/-/ready"), 30, "Prometheus to be ready")
        wait_for(lambda: prom.scalar('up{job="hupwatch"}') == 1.0, 30, "the first scrape of hupwatch")
        killed = 'sum(hupwatch_jobs_killed_total{job="hupwatch",cause="disconnect"})'
        before = wait_for(lambda: prom.scalar(killed) is not None, 10, "the killed counter")
        before = prom.scalar(killed)

        shell = InteractiveShell()
        out = ""
        for n in range(KILLED_JOBS):
            out += shell.run(f"sleep {4000 + n} & echo JOB{n}=$!; echo DONE_$(({n}+1000))",
                             f"DONE_{n + 1000}")
        out += shell.run("nohup sleep 4100 >/dev/null 2>&1 & echo ORPHAN=$!; echo DONE_$((2000+1))",
                         "DONE_2001")
        orphans = [int(p) for p in re.findall(r"ORPHAN=(\d+)", out)]
        jobs = [int(p) for p in re.findall(r"JOB\d=(\d+)", out)]
        if len(jobs) != KILLED_JOBS or len(orphans) != 1:
            fail(f"could not read the job pids from {out!r}")
        # The audit sees them at risk before the line drops.
        wait_for(lambda: (prom.scalar('sum(hupwatch_jobs_at_risk{job="hupwatch"})') or 0) >= KILLED_JOBS,
                 20, "hupwatch_jobs_at_risk to count the jobs")

        status = shell.hang_up()
        if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGHUP):
            fail(f"the shell did not die of SIGHUP (status {status})")
        wait_for(lambda: (prom.scalar(killed) or 0) - before >= KILLED_JOBS, 20,
                 f"hupwatch_jobs_killed_total{{cause=\"disconnect\"}} to rise by {KILLED_JOBS}")
        time.sleep(3)  # a few more scrapes: the rise must be exactly the jobs killed
        rise = prom.scalar(killed) - before
        if rise != KILLED_JOBS:
            fail(f"jobs_killed_total rose by {rise}, expected {KILLED_JOBS}")
        print(f"prometheus_e2e: ok: hupwatch_jobs_killed_total{{cause=\"disconnect\"}} rose by {rise:.0f}")
        wait_for(lambda: (prom.scalar('sum(hupwatch_orphaned_jobs{job="hupwatch",comm="sleep"})') or 0) >= 1,
                 20, "the nohup'd job to show as an orphaned job")
        wait_for(lambda: (prom.scalar('sum(hupwatch_disconnects_total{job="hupwatch"})') or 0) >= 1,
                 10, "the disconnect to be counted")

        # Every dashboard query: accepted, and returns data.
        with open(os.path.join(repo, "deploy/grafana/hupwatch.json")) as f:
            dashboard = json.load(f)
        exprs = []

        def collect(panels):
            for panel in panels:
                collect(panel.get("panels", []))
                for target in panel.get("targets", []):
                    if target.get("expr"):
                        exprs.append((panel.get("title", "?"), target["expr"]))
        collect(dashboard.get("panels", []))
        substitutions = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h",
                         "${instance:regex}": ".*", "${instance}": ".*", "$instance": ".*"}
        empty = []
        for title, expr in exprs:
            query = expr
            for key, value in substitutions.items():
                query = query.replace(key, value)
            reply = prom.query(query)
            if reply.get("status") != "success":
                fail(f"panel {title!r}: Prometheus rejected {query!r}: {reply.get('error')}")
            if not reply["data"]["result"]:
                empty.append((title, query))
        if empty:
            fail("panels without data: " + "; ".join(f"{t}: {q}" for t, q in empty))
        print(f"prometheus_e2e: ok: {len(exprs)} dashboard queries accepted, each with data")

        hupwatch.send_signal(signal.SIGTERM)
        if hupwatch.wait(timeout=10) != 0:
            fail("hupwatch run did not exit 0 on SIGTERM")
    finally:
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
