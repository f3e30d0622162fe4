#!/usr/bin/env python3
"""A report of 10,000 processes renders in under 2 s in Chromium.

hupwatch_report_synthetic_store writes the incident of
tests/unit/report_fixture.h with 10,000 short-lived children under 20 jobs
(10,024 processes in all) through the store's own writer; `hupwatch report`
draws it; a real headless Chromium opens it (report_browser.py). The page
records in <html data-drawn-ms> the performance.now() at which it had been
parsed and laid out, which must be under 2000 ms. The jobs and the
processes in verdicts are drawn, the children fold into one count per
session, and the page is checked for its verdicts and its process count;
unfolded (page.html#unfold-all), it draws a bar for every process.

Prints the figure; keeps the page and a screenshot in the build directory
(test-artifacts/report_10k.*).

Usage: report_render_e2e.py HUPWATCH_BINARY SYNTHETIC_STORE_BINARY
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import report_browser
from e2e_common import fail, ok, rfc3339

CHILDREN, JOBS = 10_000, 20
PROCESSES = CHILDREN + JOBS + 4  # + bash 815, sleep 902, bash 1000, sleep 1001
BUDGET_MS = 2000.0


def main():
    if len(sys.argv) != 3:
        fail("usage: report_render_e2e.py HUPWATCH_BINARY SYNTHETIC_STORE_BINARY")
    binary, generator = sys.argv[1:]
    report_browser.chromium()
    artifacts = os.path.join(os.path.dirname(os.path.abspath(binary)), "test-artifacts")
    os.makedirs(artifacts, exist_ok=True)
    work = tempfile.mkdtemp(prefix="hupwatch-report-10k-")
    try:
        db = os.path.join(work, "h.db")
        proc = subprocess.run([generator, db, str(CHILDREN), str(JOBS)], capture_output=True,
                              text=True, timeout=120)
        if proc.returncode != 0:
            fail(f"the synthetic store: exit {proc.returncode}: {proc.stderr}")
        since, until = (int(x) for x in proc.stdout.split())
        page = os.path.join(artifacts, "report_10k.html")
        started = time.monotonic()
        proc = subprocess.run([binary, "report", "--db", db, "--since", rfc3339(since), "--until",
                               rfc3339(until), "-o", page], capture_output=True, text=True,
                              timeout=120)
        written_s = time.monotonic() - started
        if proc.returncode != 0:
            fail(f"report exited {proc.returncode}: {proc.stderr}")
        started = time.monotonic()
        dom = report_browser.dom(page)
        browser_s = time.monotonic() - started
        drawn = re.search(r'<html[^>]* data-drawn-ms="([0-9.]+)"', dom)
        if not drawn:
            fail("the page recorded no data-drawn-ms: its script did not run")
        drawn_ms = float(drawn.group(1))
        summary = re.search(r'<tr id="s-processes"><th>processes</th><td>(\d+) \((\d+) drawn, '
                            r'(\d+) folded', dom)
        if not summary or int(summary.group(1)) != PROCESSES:
            fail(f"the page does not count {PROCESSES} processes: "
                 f"{summary.group(0) if summary else 'no processes row'}")
        if int(summary.group(3)) != CHILDREN:
            fail(f"{summary.group(3)} processes folded, expected the {CHILDREN} children")
        for needle in ('data-pid="901" data-verdict="killed_by_disconnect"',
                       'data-pid="902" data-verdict="orphaned" data-cause="sighup_ignored"',
                       f"{CHILDREN} other processes of session 815"):
            if needle not in dom:
                fail(f"the rendered page lacks {needle!r}")
        if drawn_ms >= BUDGET_MS:
            fail(f"{PROCESSES} processes drawn in {drawn_ms} ms, over {BUDGET_MS} ms")
        ok(f"{PROCESSES} processes ({summary.group(2)} drawn, {CHILDREN} folded): parsed and laid "
           f"out in {drawn_ms:.0f} ms (data-drawn-ms; budget {BUDGET_MS:.0f}); page "
           f"{os.path.getsize(page) // 1024} KiB written in {written_s:.2f} s; Chromium ran "
           f"{browser_s:.2f} s in all")
        report_browser.screenshot(page, os.path.join(artifacts, "report_10k.png"))

        # Unfolded by the page's script (#unfold-all): every process is a bar.
        dom = report_browser.dom(page, fragment="#unfold-all")
        bars = len(re.findall(r'<g class="p[ "][^>]*data-pid="\d', dom))  # not the script's
        if bars != PROCESSES:
            fail(f"unfolded, the page draws {bars} process bars, expected {PROCESSES}")
        drawn = re.search(r'<html[^>]* data-drawn-ms="([0-9.]+)"', dom)
        ok(f"unfolded: {bars} process bars, drawn in {drawn.group(1) if drawn else '?'} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
