"""What the end-to-end tests share: failing and skipping by the CI rule,
bounded polling, a free port, the daemon, and a real pty session.

Every message is prefixed with the running script's name
(`prometheus_e2e: FAIL: ...`).
"""
import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time

NAME = os.path.splitext(os.path.basename(sys.argv[0]))[0]


def fail(message):
    print(f"{NAME}: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def skip_or_fail(message):
    """Outside CI a test that cannot run here skips; under CI=true it fails."""
    if os.environ.get("CI") == "true":
        fail(f"{message} (CI=true: required)")
    print(f"{NAME}: SKIPPED: {message}")
    sys.exit(0)


def run(*args, check=True, timeout=120, **kw):
    """Runs a command, its output captured; with check, a non-zero exit fails
    the test with the command and the end of what it said."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    if check and result.returncode != 0:
        fail(f"{' '.join(args)} exited {result.returncode}: "
             f"{(result.stderr or result.stdout).strip()[-800:]}")
    return result


def require_root():
    if os.geteuid() != 0:
        skip_or_fail("needs root to load BPF")


def ok(message):
    print(f"{NAME}: ok: {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout, what, interval=0.05):
    """Polls condition until it returns something truthy, which it returns;
    fails after timeout seconds. WHAT may be a function, called then for the
    message (to say what was last seen)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            fail(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")
        time.sleep(interval)


def wall_ns():
    return time.time_ns()


def rfc3339(ns):
    """RFC 3339 UTC with microseconds, as hupwatch prints and parses it."""
    seconds, rest = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{rest // 1000:06d}Z"


def why_json(binary, db, pid):
    """`hupwatch why PID --db DB --json`, parsed; a failure fails the test."""
    result = subprocess.run([binary, "why", str(pid), "--db", db, "--json"],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        fail(f"why {pid}: exit {result.returncode}: {result.stderr}")
    return json.loads(result.stdout)


def expect_unseen_end(binary, db, pid, after_ns, before_ns, what):
    """why of pid says it ended unseen (alive false, no moment), gone by a
    time between after_ns and before_ns."""
    j = why_json(binary, db, pid)
    if not (j["alive"] is False and j["exit_unseen"] is True and j["ended"] is None):
        fail(f"why {pid} ({what}): alive {j['alive']}, exit_unseen {j['exit_unseen']}, "
             f"ended {j['ended']}; expected an unseen end")
    if not rfc3339(after_ns) <= j["gone_by"] <= rfc3339(before_ns):
        fail(f"why {pid} ({what}): gone_by {j['gone_by']}, not between {rfc3339(after_ns)} "
             f"and {rfc3339(before_ns)}")


class Daemon:
    """`hupwatch run ARGS` with its output appended to LOG_PATH (its stdout
    to STDOUT_PATH instead, when given); wait_running() returns once it is
    attached ("hupwatch: running")."""

    def __init__(self, binary, log_path, args, stdout_path=None):
        self.log_path = log_path
        self.log = open(log_path, "a")
        self.offset = self.log.tell()  # a restart appends: read only its own lines
        out = open(stdout_path, "w") if stdout_path else self.log
        self.process = subprocess.Popen([binary, "run", *args], stdout=out,
                                        stderr=self.log if stdout_path else subprocess.STDOUT)
        if stdout_path:
            out.close()
        self.pid = self.process.pid

    def output(self):
        with open(self.log_path) as f:
            f.seek(self.offset)
            return f.read()

    def wait_running(self, timeout=20):
        wait_for(lambda: "hupwatch: running" in self.output() or self.process.poll() is not None,
                 timeout, "the daemon to start")
        if self.process.poll() is not None:
            fail(f"hupwatch run exited {self.process.returncode}: {self.output()!r}")

    def stop(self, timeout=10):
        """SIGTERM; a clean stop exits 0."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            fail(f"hupwatch run did not stop within {timeout}s of SIGTERM")
        if code != 0:
            fail(f"hupwatch run exited {code} on SIGTERM, expected 0: {self.output()[-2000:]!r}")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


class InteractiveShell:
    """bash as session leader of a pty we own (pty.fork: setsid + TIOCSCTTY),
    as sshd runs a login shell; hang_up() closes the master as sshd does when
    the connection drops."""

    def __init__(self):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ.update(PS1="$ ", TERM="dumb", HISTFILE="/dev/null")
            os.environ.pop("PROMPT_COMMAND", None)
            os.execvp("bash", ["bash", "--norc", "--noprofile", "--noediting", "-i"])
        self.buffer = ""
        self.markers = 0
        self.run("stty -echo; echo READY_$((6*7))", "READY_42")

    def run(self, line, marker, timeout=10):
        """Sends a line; returns what the shell printed before marker."""
        os.write(self.fd, (line + "\n").encode())
        return self.wait_output(marker, timeout)

    def wait_output(self, marker, timeout=10):
        """Reads until the shell prints marker; returns what came before it."""
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

    def query(self, expression, before=""):
        """The value of a shell expression, e.g. "$(tty)", after the command
        line `before` (e.g. "sleep 1000 &" then "$!")."""
        self.markers += 1
        marker = f"DONE_{self.markers + 1000}"
        out = self.run(f"{before} echo VALUE=\"{expression}\"; echo DONE_$(({self.markers}+1000))",
                       marker)
        found = re.findall(r"VALUE=(.*?)\r?\n", out)
        if len(found) != 1:
            fail(f"could not read {expression!r} from {out!r}")
        return found[0]

    def start_job(self, command):
        """Starts `command &` as a job of the shell; returns its pid."""
        return int(self.query("$!", before=f"{command} &"))

    def hang_up(self):
        """Closes the master and reaps the shell; returns its wait status."""
        os.close(self.fd)
        self.fd = None
        _, status = os.waitpid(self.pid, 0)
        return status

    def close(self):
        """Cleanup: hangs up unless the test did."""
        if self.fd is not None:
            self.hang_up()


def cmdline(pid):
    """argv of a live process, or None once it is gone (or a zombie)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return [a.decode(errors="replace") for a in raw.split(b"\0")[:-1]] or None


def kill_quietly(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def rss_anon_kb(pid):
    """The process's anonymous resident memory (/proc/PID/status RssAnon)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    fail(f"no RssAnon for {pid}")


def lose_exits(monitor_pid, storm, seconds, jobs):
    """Real lost exits: stops the monitor (SIGSTOP), fills its 16 MB ring
    buffer with a vfork storm of SECONDS, kills JOBS (Popen) while it is full,
    and lets the monitor go on. Returns the storm's rate and the kill's wall
    time in ns."""
    os.kill(monitor_pid, signal.SIGSTOP)
    try:
        rate = subprocess.run([storm, str(seconds)], capture_output=True, text=True,
                              check=True).stdout.strip()
        killed = wall_ns()
        for job in jobs:
            job.kill()
        for job in jobs:
            job.wait()
    finally:
        os.kill(monitor_pid, signal.SIGCONT)
    return rate, killed


def scrape_metrics(port):
    """The daemon's metrics by family: a family without labels by its value,
    one with labels by the sum of its series."""
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, value = line.rsplit(" ", 1)
        family = name.split("{", 1)[0]
        out[family] = out.get(family, 0.0) + float(value)
    return out


def short_pty_session():
    """A shell leading its own pty, leaving an orphan (a 50 ms background
    job); then the master closes, as a terminal emulator or sshd does.

    The job ignores SIGHUP and holds no fd of the terminal, so it outlives
    its session whatever the caller's own SIGHUP disposition: otherwise the
    kernel's hangup at the shell's exit kills it (under ctest), unless the
    caller ignores SIGHUP (under nohup), where it is orphaned but holds the
    pty open for its 50 ms."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv("/bin/sh", ["sh", "-c",
                             "trap '' HUP; sleep 0.05 </dev/null >/dev/null 2>&1 & exit 0"])
    try:
        while os.read(fd, 1024):
            pass
    except OSError:  # EIO: the slave side is closed
        pass
    os.close(fd)
    os.waitpid(pid, 0)
