#!/usr/bin/env python3
"""The Debian package under a real systemd (root): a Debian 12 container
booted with systemd-nspawn (scripts/container.sh), the package installed
there with dpkg -i.

- The maintainer scripts enable and start hupwatch.service (systemd is PID 1
  there: /run/systemd/system exists).
- The hardened unit runs the binary for real: DynamicUser, the ambient
  capabilities, the syscall filter and the sandbox let it load and attach,
  and it reaches `systemctl is-active`, serves metrics, and reports pids as
  the container's pid namespace numbers them (docs/deploy.md, "Containers").
- A job started in the container on a terminal (`script`) and killed with
  SIGTERM by another process there has its `killed` verdict in the store:
  `hupwatch why PID` there, with the pids the container sees. Host
  processes are not reported, and counted.
- dpkg -r stops and disables it and leaves none of its files; dpkg -P
  removes its state.

Usage: package_systemd_e2e.py SOURCE_DIR BUILD_DIR
"""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import fail, ok, require_root, run, skip_or_fail, wait_for  # noqa: E402

SOURCE, BUILD = sys.argv[1], sys.argv[2]
CONTAINER = os.path.join(SOURCE, "scripts/container.sh")
# A container of its own: another run's (or developer's) is never stopped here.
CONTAINER_NAME = f"package-systemd-{os.getpid()}"
os.environ["HUPWATCH_CONTAINER_NAME"] = CONTAINER_NAME


def inside(*args, check=True):
    return run(CONTAINER, "exec", *args, check=check)


def unit_property(name):
    return inside("systemctl", "show", "-P", name, "hupwatch.service").stdout.strip()


def journal():
    # This boot only: the cached rootfs may keep the journals of earlier ones.
    return inside("journalctl", "-b", "-u", "hupwatch", "-o", "cat", "--no-pager").stdout


def container_start_ticks(pid):
    """Field 22 of /proc/PID/stat in the container: start in clock ticks."""
    stat = inside("cat", f"/proc/{pid}/stat").stdout
    return int(stat.rsplit(")", 1)[1].split()[19])


def check_unit_runs():
    """Started by postinst: active, attached, serving metrics."""
    wait_for(lambda: "hupwatch: running" in journal() or
             unit_property("ActiveState") == "failed", 60, "hupwatch.service to attach")
    state = inside("systemctl", "is-active", "hupwatch", check=False).stdout.strip()
    log = journal()
    if state != "active" or "hupwatch: running" not in log:
        fail(f"hupwatch.service is {state!r}, not active and running: {log[-800:]!r}")
    if unit_property("DynamicUser") != "yes":
        fail("the unit runs without DynamicUser")
    if "pids are reported in pid namespace pid:[" not in log:
        fail(f"the daemon did not say it reports the container's pids: {log[-800:]!r}")
    metrics = inside("curl", "-sf", "http://127.0.0.1:9776/metrics").stdout
    if "hupwatch_events_hidden_by_pid_namespace_total" not in metrics:
        fail(f"no hupwatch metrics on 127.0.0.1:9776 in the container: {metrics[:300]!r}")
    ok("dpkg -i under systemd: enabled, started as a DynamicUser with the sandbox, "
       "attached in the container's pid namespace, active, serving metrics")


def hidden_count():
    metrics = inside("curl", "-sf", "http://127.0.0.1:9776/metrics").stdout
    for line in metrics.splitlines():
        if line.startswith("hupwatch_events_hidden_by_pid_namespace_total "):
            return float(line.split()[1])
    fail("hupwatch_events_hidden_by_pid_namespace_total is missing")


def check_job_killed_in_container():
    """A job on a terminal (script gives sleep a pty as its controlling
    terminal, as a login would), killed by `kill -TERM` from another
    process there; its verdict as `hupwatch why PID` tells it there."""
    duration = f"4242.{os.getpid()}"
    inside("sh", "-c", f'script -qfc "exec sleep {duration}" /dev/null '
           "</dev/null >/dev/null 2>&1 &")
    found = wait_for(lambda: inside("pgrep", "-xf", f"sleep {duration}",
                                    check=False).stdout.split(), 10, "the job in the container")
    if len(found) != 1:
        fail(f"expected one job in the container, found {found}")
    job = int(found[0])
    ticks = container_start_ticks(job)
    tty = inside("ps", "-o", "tty=", "-p", str(job)).stdout.strip()
    if not tty.startswith("pts/"):
        fail(f"the job has no terminal ({tty!r}): it would not be a job")
    # $! is the killer's pid in the container's namespace; /bin/kill, not
    # the shell's builtin, so that the killer is a `kill` process.
    killer = int(inside("sh", "-c", f"/bin/kill -TERM {job} & echo $!; wait $!").stdout.strip())

    def killed():
        r = inside("hupwatch", "why", str(job), "--json", check=False)
        if r.returncode != 0:
            return None
        story = json.loads(r.stdout)
        return story if any(v.get("verdict") == "killed" for v in story["verdicts"]) else None
    story = wait_for(killed, 30, f"the killed verdict on {job} in the container's store",
                     interval=0.5)
    v = [v for v in story["verdicts"] if v.get("verdict") == "killed"][0]
    tick_ns = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
    expected = {"pid": job, "comm": "sleep", "signal": "SIGTERM", "cause": "operator",
                "killer_pid": killer, "killer_comm": "kill"}
    wrong = {k: v.get(k) for k, want in expected.items() if v.get(k) != want}
    if wrong or story["pid"] != job or v["start_ns"] // tick_ns != ticks:
        fail(f"verdict on the container's job {job}: expected {expected}, start tick {ticks}; "
             f"got {wrong}, tick {v['start_ns'] // tick_ns}: {v}")
    hidden = hidden_count()
    if hidden <= 0:
        fail(f"hupwatch_events_hidden_by_pid_namespace_total is {hidden} in a container")
    ok(f"job {job} (the container's pid) killed in the container: `hupwatch why {job}` there "
       f"says {v['summary']!r}; {hidden:.0f} host events dropped and counted")


def main():
    require_root()
    for tool in ("systemd-nspawn", "debootstrap", "cpack", "help2man"):
        if not shutil.which(tool):
            skip_or_fail(f"{tool} is missing (scripts/install-deps.sh)")
    root = run(CONTAINER, "root").stdout.strip()
    if not os.path.exists(os.path.join(root, ".hupwatch-stamp")):
        skip_or_fail(f"no container rootfs at {root} (scripts/install-deps.sh --container)")
    env = dict(os.environ, HUPWATCH_BUILD_DIR=BUILD, HUPWATCH_NO_LINTIAN="1")
    # Builds only what is out of date: nothing, after the suite's build.
    deb = run(os.path.join(SOURCE, "scripts/package.sh"), env=env, timeout=600).stdout.strip()
    run(CONTAINER, "start")
    try:
        run(CONTAINER, "cp", deb, "/root/hupwatch.deb")
        inside("dpkg", "-i", "/root/hupwatch.deb")
        if inside("systemctl", "is-enabled", "hupwatch").stdout.strip() != "enabled":
            fail("postinst did not enable hupwatch.service")
        check_unit_runs()
        check_job_killed_in_container()
        files = inside("dpkg", "-L", "hupwatch").stdout.split()
        inside("dpkg", "-r", "hupwatch")
        # Files and links of the package (not directories: /lib is a link
        # to usr/lib here), and any enablement link.
        still_there = ('for p in "$@"; do [ -d "$p" ] && continue; '
                       '{ [ -e "$p" ] || [ -L "$p" ]; } && echo "$p"; done; '
                       'ls /etc/systemd/system/*/hupwatch.service 2>/dev/null; true')
        left = inside("sh", "-c", still_there, "sh", *files).stdout.split()
        if left:
            fail(f"dpkg -r left files in the container: {left}")
        if inside("systemctl", "is-enabled", "hupwatch", check=False).returncode == 0:
            fail("hupwatch.service is still enabled after dpkg -r")
        inside("dpkg", "-P", "hupwatch")
        gone = inside("sh", "-c", "ls -d /var/lib/hupwatch /var/lib/private/hupwatch "
                      "/var/log/hupwatch /var/log/private/hupwatch 2>/dev/null; true").stdout
        if gone.strip():
            fail(f"dpkg -P left state: {gone.split()}")
        ok("dpkg -r: nothing left, unit gone; dpkg -P: state gone")
    finally:
        run(CONTAINER, "stop", check=False)
        shutil.rmtree(f"/run/hupwatch-test/{CONTAINER_NAME}", ignore_errors=True)


main()
