"""Drives a `hupwatch report` page in a real headless Chromium through the
DevTools protocol over a pipe (--remote-debugging-pipe: JSON messages ended
by NUL on fds 3 and 4), so no websocket client or npm package is needed.
The test moves the mouse, clicks and presses keys as a person would
(Input.dispatch*), and reads back what the page then shows.
"""
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

from e2e_common import fail
from report_browser import FLAGS, chromium


class Page:
    """One page in its own Chromium; close() ends the browser."""

    def __init__(self, html_path, size="1400,1000"):
        self.work = tempfile.mkdtemp(prefix="hupwatch-devtools-")
        # Above any fd the child might have, so dup2 to 3 and 4 clobbers none.
        to_r, to_w = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in os.pipe())
        from_r, from_w = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in os.pipe())

        def pipe_fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        args = [chromium(), *FLAGS, f"--user-data-dir={self.work}/profile",
                "--remote-debugging-pipe", f"--window-size={size}"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        self.log = open(os.path.join(self.work, "chromium.log"), "w")
        self.proc = subprocess.Popen([*args, "about:blank"], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log, preexec_fn=pipe_fds,
                                     pass_fds=(3, 4))
        for fd in (to_r, from_w):
            os.close(fd)
        self.out, self.inp = to_w, from_r
        self.pending = b""
        self.next_id = 0
        self.session = None
        target = self.call("Target.createTarget",
                           {"url": "file://" + os.path.abspath(html_path)})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        # Until the page's document replaces about:blank's, there may be no
        # root element at all.
        self.wait_for("document.location.protocol === 'file:' && document.documentElement "
                      "&& document.documentElement.dataset.drawnMs !== undefined",
                      "the page's script to run")

    def call(self, method, params=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self.out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.pending:
                raw, self.pending = self.pending.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") != self.next_id:
                    continue  # an event, or an answer to no one
                if "error" in reply:
                    fail(f"DevTools {method}: {reply['error']}")
                return reply["result"]
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                fail(f"no DevTools answer to {method} (chromium {self.proc.poll()})")
            if select.select([self.inp], [], [], left)[0]:
                chunk = os.read(self.inp, 1 << 16)
                if not chunk:
                    fail(f"chromium closed the DevTools pipe during {method}")
                self.pending += chunk

    def eval(self, expression):
        """The value of a JS expression in the page (JSON-able)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            fail(f"in the page, {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=20):
        deadline = time.monotonic() + timeout
        while not self.eval(expression):
            if time.monotonic() > deadline:
                fail(f"timed out waiting for {what}")
            time.sleep(0.05)

    def center(self, selector):
        """The viewport point at the middle of the element, scrolled into view."""
        point = self.eval(f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            if (!el) return null;
            el.scrollIntoView({{block: 'center', inline: 'nearest'}});
            const r = el.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2];
        }})()""")
        if point is None:
            fail(f"nothing on the page matches {selector}")
        return point

    def hover(self, selector):
        x, y = self.center(selector)
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})

    def click(self, selector):
        x, y = self.center(selector)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent",
                      {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def press(self, key):
        """A key as a keyboard sends it: '+', '-', '0', 'ArrowLeft', 'ArrowRight'."""
        codes = {"ArrowLeft": 37, "ArrowRight": 39, "+": 187, "-": 189, "0": 48}
        event = {"key": key, "windowsVirtualKeyCode": codes[key]}
        if len(key) == 1:
            event["text"] = key
        self.call("Input.dispatchKeyEvent", {"type": "keyDown", **event})
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", **event})

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.out, self.inp):
            os.close(fd)
        self.log.close()
        shutil.rmtree(self.work, ignore_errors=True)
