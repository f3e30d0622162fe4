#!/usr/bin/env python3
"""`hupwatch report` on a real capture, opened in a real headless Chromium.

`hupwatch run --db` records while an interactive bash leads a session on a
pty we own, with a plain job (`sleep 1000 &`, killed by the SIGHUP bash
forwards) and a nohup'd one (survives, orphaned to this test, a child
subreaper). The master is closed, as sshd does when a connection drops.
Once both verdicts are stored, `hupwatch report --session BASH` writes the
page, and Chromium renders it (report_browser.py). In the rendered DOM,
with exact pids:

- the killed job's bar is drawn with verdict killed_by_disconnect, the
  survivor's with orphaned (cause sighup_ignored), each labelled
  `sleep PID`, bash's too; the hangup marker is on the session's lane;
- the summary counts one killed_by_disconnect and one sighup_ignored;
- the page's script ran (data-drawn-ms), the page requested nothing
  (Chromium's network log) and refers to nothing off the page;
- the page is written private (0640), and a page that cannot be written
  is one line and exit 1.

On each page, a reader's hover, clicks and zoom and pan keys are driven
through the DevTools protocol (report_interaction.py): the job's why shows
with why's own verdict line, the visible window moves as the keys say, and
no two arrow captions overlap as drawn.

Then the real SSH scenario: sshd on loopback (sshd_session.py), `ssh -tt`
on a pty we own, the same two jobs in the remote login shell, and the
client SIGKILLed (the connection drops unannounced, sshd hangs up the
shell). Its page (`--session` the remote bash) draws both jobs by pid
with the same verdicts, and the hangup marker names sshd.

A PNG screenshot is kept in the build directory: test-artifacts/report_e2e.png.
With --screenshot PATH (scripts/report-screenshot.sh, for README.md) the
jobs run a few seconds before the hangup, so the picture shows their bars,
and the screenshot is also written to PATH.

Usage: report_e2e.py HUPWATCH_BINARY [--screenshot PATH]   (as root)
"""
import ctypes
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser

import report_browser
from report_interaction import check_interaction
from e2e_common import (Daemon, InteractiveShell, cmdline, fail, free_port, kill_quietly, ok,
                        require_root, rfc3339, wait_for, wall_ns)
from sshd_session import SshSession, Sshd
from store_roundtrip_e2e import JOB, PR_SET_CHILD_SUBREAPER, Store, reap


class DrawnProcesses(HTMLParser):
    """The rendered page's process bars (data-pid), labels, markers, counts."""

    def __init__(self):
        super().__init__()
        self.bars = {}       # pid -> attributes of its <g class="p ...">
        self.labels = []     # texts of the row labels
        self.hangups = []    # the hangup markers' texts
        self.counts = {}     # summary count key -> text
        self.root = {}
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "html":
            self.root = a
        if tag == "g" and "p" in classes and "data-pid" in a:
            self.bars.setdefault(int(a["data-pid"]), []).append(a)
        if tag == "g" and "hangup" in classes and "data-t" in a:  # not the legend's
            self.hangups.append("")
            self._in = ("hangup", None)
        if tag == "text" and "lbl" in classes:
            self._in = ("label", None)
        if tag == "span" and "count" in classes:
            self._in = ("count", a.get("data-key"))

    def handle_data(self, data):
        if self._in and self._in[0] == "label":
            self.labels.append(data)
        elif self._in and self._in[0] == "hangup":
            self.hangups[-1] += data
        elif self._in and self._in[0] == "count":
            self.counts[self._in[1]] = data

    def handle_endtag(self, tag):
        if tag in ("text", "span") or (tag == "g" and self._in and self._in[0] == "hangup"):
            self._in = None


def expect(what, actual, expected):
    if actual != expected:
        fail(f"{what}: {actual!r}, expected {expected!r}")


def check_page(html_path, killed, survivor, bash, hangup_by):
    with open(html_path) as f:
        html = f.read()
    remote = report_browser.remote_references(html)
    if remote:
        fail(f"the page refers off itself: {remote!r}")
    page = DrawnProcesses()
    page.feed(report_browser.dom(html_path))
    if "data-drawn-ms" not in page.root:
        fail("the page's script did not run (no data-drawn-ms on <html>)")
    for pid, verdict, cause in ((killed, "killed_by_disconnect", ""),
                                (survivor, "orphaned", "sighup_ignored")):
        bars = page.bars.get(pid)
        if not bars:
            fail(f"no bar for pid {pid}; drawn: {sorted(page.bars)}")
        expect(f"pid {pid}: (verdict, cause)", (bars[0]["data-verdict"], bars[0]["data-cause"]),
               (verdict, cause))
        if f"sleep {pid}" not in page.labels:
            fail(f"no label 'sleep {pid}' among {page.labels!r}")
    if f"bash {bash}" not in page.labels:
        fail(f"no label 'bash {bash}' among {page.labels!r}")
    if len(page.hangups) != 1 or not page.hangups[0].startswith(hangup_by):
        fail(f"hangup markers on session {bash}'s page: {page.hangups!r}, expected one "
             f"starting {hangup_by!r}")
    expect("summary: killed", page.counts.get("killed_by_disconnect"), "killed_by_disconnect: 1")
    expect("summary: orphaned", page.counts.get("sighup_ignored"), "sighup_ignored: 1")
    return page.root["data-drawn-ms"]


def start_jobs(terminal, jobs):
    """A plain job and a nohup'd one in the terminal's shell, both running
    sleep; returns (the shell's pid, the plain job's, the nohup'd one's)."""
    bash = int(terminal.query("$$"))
    killed = terminal.start_job("sleep 1000")
    survivor = terminal.start_job("nohup sleep 1000 >/dev/null 2>&1")
    jobs += [killed, survivor]
    for pid in (killed, survivor):
        wait_for(lambda: cmdline(pid) == JOB, 10, f"job {pid} to run {JOB}")
    return bash, killed, survivor


def wait_verdicts(store, killed, survivor):
    """The plain job dies (reaped: we are the subreaper), both verdicts are stored."""
    wait_for(lambda: cmdline(killed) is None, 10, f"the plain job {killed} to die")
    reap(killed)
    for pid in (killed, survivor):
        wait_for(lambda: (w := store.why(pid)) and w["verdicts"], 10,
                 f"the verdict on {pid} in the store")


def write_report(binary, db, sid, since, page):
    proc = subprocess.run([binary, "report", "--db", db, "--session", str(sid), "--since",
                           rfc3339(since), "-o", page], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        fail(f"report exited {proc.returncode}: {proc.stderr}")


def main():
    if len(sys.argv) not in (2, 4) or (len(sys.argv) == 4 and sys.argv[2] != "--screenshot"):
        fail("usage: report_e2e.py HUPWATCH_BINARY [--screenshot PATH]")
    binary = sys.argv[1]
    picture = sys.argv[3] if len(sys.argv) == 4 else None
    require_root()
    report_browser.chromium()
    report_browser.check_detector()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        fail(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")

    artifacts = os.path.join(os.path.dirname(os.path.abspath(binary)), "test-artifacts")
    os.makedirs(artifacts, exist_ok=True)
    work = tempfile.mkdtemp(prefix="hupwatch-report-")
    db = os.path.join(work, "h.db")
    store = Store(binary, db)
    daemon = Daemon(binary, os.path.join(work, "hupwatch.log"),
                    ["--db", db, f"--web.listen-address=127.0.0.1:{free_port()}"])
    shell, sshd, ssh, jobs = None, None, None, []
    try:
        daemon.wait_running()
        since = wall_ns()
        shell = InteractiveShell()
        bash, killed, survivor = start_jobs(shell, jobs)
        if picture:
            time.sleep(3)  # for the picture only: bars with a length before the hangup
        status = shell.hang_up()
        if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGHUP):
            fail(f"the shell did not die of SIGHUP (status {status})")
        wait_verdicts(store, killed, survivor)

        page = os.path.join(work, "report.html")
        write_report(binary, db, bash, since, page)
        expect("the page's mode", stat.S_IMODE(os.stat(page).st_mode), 0o640)
        drawn_ms = check_page(page, killed, survivor, bash, "")
        check_interaction(page, store, killed, survivor, bash)
        ok(f"rendered in Chromium ({drawn_ms} ms): sleep {killed} killed_by_disconnect, sleep "
           f"{survivor} orphaned (sighup_ignored), bash {bash}'s hangup; nothing fetched")

        png = os.path.join(artifacts, "report_e2e.png")
        report_browser.screenshot(page, png)
        shutil.copy(page, os.path.join(artifacts, "report_e2e.html"))
        ok(f"screenshot: {png}")
        if picture:
            report_browser.screenshot(page, picture, size="1340,560")
            ok(f"screenshot for the README: {picture}")

        # The real SSH scenario: sshd on loopback, `ssh -tt` on our pty, the
        # client killed (the connection drops unannounced); sshd hangs up.
        sshd = Sshd()
        since = wall_ns()
        ssh = SshSession(sshd)
        bash, killed, survivor = start_jobs(ssh, jobs)
        ssh.wait_prompt()
        ssh.kill_client()
        wait_for(lambda: cmdline(bash) is None, 10, f"the remote shell {bash} to be hung up")
        wait_verdicts(store, killed, survivor)
        page = os.path.join(work, "ssh.html")
        write_report(binary, db, bash, since, page)
        drawn_ms = check_page(page, killed, survivor, bash, "hangup by sshd")
        check_interaction(page, store, killed, survivor, bash)
        ok(f"ssh: rendered in Chromium ({drawn_ms} ms): sleep {killed} killed_by_disconnect, "
           f"sleep {survivor} orphaned (sighup_ignored), bash {bash} hung up by sshd")
        shutil.copy(page, os.path.join(artifacts, "report_e2e_ssh.html"))

        proc = subprocess.run([binary, "report", "--db", db, "-o", "/proc/hupwatch-nope/r.html"],
                              capture_output=True, text=True, timeout=60)
        lines = proc.stderr.splitlines()
        if proc.returncode != 1 or len(lines) != 1 or not re.match(
                r"hupwatch: cannot write /proc/hupwatch-nope/r.html: ", lines[0]):
            fail(f"an unwritable -o: exit {proc.returncode}, stderr {proc.stderr!r}")
        ok("an unwritable -o: one line, exit 1")
        daemon.stop()
    finally:
        if shell:
            shell.close()
        if ssh and ssh.fd is not None:
            ssh.kill_client()
        if sshd:
            sshd.stop()
        for pid in jobs:
            kill_quietly(pid)
            reap(pid)
        daemon.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
