"""A real OpenSSH server on 127.0.0.1 and an interactive `ssh -tt` client on
a pty we own: the Python side of tests/bpf/sshd_fixture.{h,cpp}, with the
same server configuration, tests/data/sshd_config.in (key login for root
only, no PAM, everything in a temporary directory; /run/sshd, sshd's
privilege separation directory, is created when missing).

Killing the client (SshSession.kill_client) drops the connection without a
word to the server, as when a laptop lid closes: sshd then hangs up the
remote shell's pty, and the shell its jobs.
"""
import fcntl
import os
import pty
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import termios
import time

from e2e_common import InteractiveShell, fail, free_port, skip_or_fail

SSHD, SSH, SSH_KEYGEN = "/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"
PROMPT = "HWP42# "  # PS1='HWP$((40+2))# ': only the shell's expansion matches


CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "sshd_config.in")


def sshd_config(directory, port):
    """The configuration sshd_fixture.cpp uses too (tests/data/sshd_config.in)."""
    with open(CONFIG) as f:
        return f.read().replace("@DIR@", directory).replace("@PORT@", str(port))


def accepts_connections(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Sshd:
    """sshd -D -e as our child; stop() ends it and removes its directory."""

    def __init__(self):
        missing = [p for p in (SSHD, SSH, SSH_KEYGEN) if not os.access(p, os.X_OK)]
        if missing:
            skip_or_fail(f"OpenSSH is not installed ({', '.join(missing)}; "
                         "scripts/install-deps.sh installs it)")
        self.dir = tempfile.mkdtemp(prefix="hupwatch-sshd-")
        self.client_key = os.path.join(self.dir, "client_ed25519")
        self.log_path = os.path.join(self.dir, "sshd.log")
        self.process = None
        for key in (os.path.join(self.dir, "host_ed25519"), self.client_key):
            subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "hupwatch-test",
                            "-f", key], check=True, capture_output=True, timeout=30)
        shutil.copy(self.client_key + ".pub", os.path.join(self.dir, "authorized_keys"))
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        for _ in range(3):  # the free port can be taken before sshd binds it
            self.port = free_port()
            if self._launch():
                return
            if "Address already in use" not in self.log():
                break
        fail(f"sshd did not start; its log:\n{self.log()}")

    def _launch(self):
        config = os.path.join(self.dir, "sshd_config")
        with open(config, "w") as f:
            f.write(sshd_config(self.dir, self.port))
        with open(self.log_path, "w") as log:
            # sshd re-executes itself for each connection: an absolute path.
            self.process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", config, "-o", "PrintMotd no", "-o", "PrintLastLog no"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if accepts_connections(self.port):
                return True
            time.sleep(0.02)
        self.process.kill()
        self.process.wait()
        return False

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def client_args(self, mode):
        """The client's command line: no user or system config, no known hosts."""
        return [SSH, mode, "-F", "/dev/null", "-i", self.client_key, "-p", str(self.port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=5", "root@127.0.0.1"]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()  # sshd removes its pid file
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class SshSession(InteractiveShell):
    """`ssh -tt root@127.0.0.1` in its own session on a pty we own, as an
    operator's terminal; the remote login shell is typed into as
    InteractiveShell's bash is (run, query, start_job)."""

    def __init__(self, sshd):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            # TERM=dumb keeps the remote readline plain.
            os.execve(SSH, sshd.client_args("-tt"),
                      {"TERM": "dumb", "PATH": "/usr/bin:/bin", "HOME": "/root", "LANG": "C"})
        # Wide, so that long command lines stay on one line.
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))
        self.buffer = ""
        self.markers = 0
        self.run("stty -echo; PS1='HWP$((40+2))# '; echo HW_READY_$((6*7))", "HW_READY_42",
                 timeout=15)

    def wait_prompt(self):
        """Waits for the prompt after the last command: bash then sits in
        readline, as an idle login does (a hangup while it runs
        PROMPT_COMMAND finds it non-interactive: it hangs up no job)."""
        self.wait_output(PROMPT)

    def kill_client(self):
        """SIGKILLs the client and reaps it: the connection drops unannounced."""
        os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.fd = None
        return status

    def hang_up(self):
        return self.kill_client()
