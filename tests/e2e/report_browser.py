"""Opens a `hupwatch report` page in a real headless Chromium (Debian's
`chromium`; scripts/install-deps.sh) without the DevTools protocol:
--dump-dom gives the DOM after the page's scripts ran, --screenshot a PNG,
and Chromium's own network log (--log-net-log) shows every request, so a
test sees what the page fetched.

Name resolution is blocked (--host-resolver-rules), so nothing could reach
the network anyway. Chromium's background traffic (updater, time, accounts)
runs in the log too; a request the page made is told apart by its network
isolation key, which names the page's origin (file://). page_requests()
is checked against a probe page that does fetch, so the check can fail.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

from e2e_common import fail, skip_or_fail

FLAGS = ["--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps",
         "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars"]


def chromium():
    path = shutil.which("chromium")
    if not path:
        skip_or_fail("chromium is not installed (scripts/install-deps.sh installs it)")
    return path


def run(html_path, *flags, timeout=120, fragment=""):
    """Runs Chromium on the file (#fragment) with a fresh profile; returns
    (stdout, the URLs the page requested)."""
    work = tempfile.mkdtemp(prefix="hupwatch-chromium-")
    netlog = os.path.join(work, "net.json")
    args = [chromium(), *FLAGS, f"--user-data-dir={work}/profile", f"--log-net-log={netlog}"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    try:
        proc = subprocess.run([*args, *flags, "file://" + os.path.abspath(html_path) + fragment],
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            fail(f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}")
        return proc.stdout, page_requests(netlog)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def page_requests(netlog_path):
    """The URLs (other than file: and data:) that a file:// page requested."""
    with open(netlog_path) as f:
        text = f.read()
    try:
        log = json.loads(text)
    except json.JSONDecodeError:
        log = json.loads(text.rstrip().rstrip(",") + "]}")  # cut short at exit
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        params = event.get("params", {})
        if event["type"] != start_job or "url" not in params:
            continue
        if not params.get("network_isolation_key", "").startswith("file://"):
            continue  # the browser's own traffic, not the page's
        if not params["url"].startswith(("file:", "data:")):
            urls.append(params["url"])
    return urls


def check_detector():
    """The request check on a page that does fetch: it must see it."""
    work = tempfile.mkdtemp(prefix="hupwatch-probe-")
    try:
        probe = os.path.join(work, "probe.html")
        with open(probe, "w") as f:
            f.write('<html><body><img src="http://hupwatch-probe.invalid/x.png"></body></html>')
        _, urls = run(probe, "--dump-dom")
        if urls != ["http://hupwatch-probe.invalid/x.png"]:
            fail(f"the network check did not see a probe page's request: {urls!r}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def remote_references(html):
    """src=, href= and url() values that point off the page."""
    pattern = r"""(?:\b(?:src|href)\s*=\s*["']?|url\(\s*["']?)\s*((?:https?:)?//[^"'\s)>]*)"""
    return re.findall(pattern, html, flags=re.IGNORECASE)


def dom(html_path, fragment=""):
    """The DOM after the page's scripts ran; fails if the page fetched."""
    out, urls = run(html_path, "--dump-dom", fragment=fragment)
    if urls:
        fail(f"the page requested {urls!r}")
    return out


def screenshot(html_path, png_path, size="1400,1000"):
    run(html_path, f"--screenshot={png_path}", f"--window-size={size}")
    if not os.path.exists(png_path) or os.path.getsize(png_path) == 0:
        fail(f"chromium wrote no screenshot to {png_path}")
