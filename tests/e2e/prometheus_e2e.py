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
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from e2e_common import (Daemon, InteractiveShell, fail, free_port, kill_quietly, ok, require_root,
                        skip_or_fail, wait_for)

KILLED_JOBS = 3


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


def main():
    if len(sys.argv) != 3:
        fail("usage: prometheus_e2e.py HUPWATCH_BINARY REPO_ROOT")
    binary, repo = sys.argv[1], sys.argv[2]
    require_root()
    for tool in ("prometheus",):
        if not shutil.which(tool):
            skip_or_fail(f"{tool} is missing (Debian package prometheus)")

    work = tempfile.mkdtemp(prefix="hupwatch-e2e-")
    processes = []
    orphans = []
    shell = None
    try:
        hw_port, prom_port = free_port(), free_port()
        hupwatch = Daemon(binary, os.path.join(work, "hupwatch.log"),
                          [f"--web.listen-address=127.0.0.1:{hw_port}", "--audit.interval=1",
                           "--no-db"])
        processes.append(hupwatch.process)
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
        for n in range(KILLED_JOBS):
            shell.start_job(f"sleep {4000 + n}")
        orphans.append(shell.start_job("nohup sleep 4100 >/dev/null 2>&1"))
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
        ok(f"hupwatch_jobs_killed_total{{cause=\"disconnect\"}} rose by {rise:.0f}")
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
        ok(f"{len(exprs)} dashboard queries accepted, each with data")

        hupwatch.stop()
    finally:
        if shell:
            shell.close()
        for pid in orphans:
            kill_quietly(pid)
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
