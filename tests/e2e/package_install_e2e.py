"""The Debian package on this host (root): scripts/package.sh builds it from
the existing build directory and lintian passes it; dpkg -i installs the
binary on PATH, the unit with a matching ExecStart, the man page with every
subcommand, the journal catalog, deploy/ and docs/; the installed binary's
--version and check work; dpkg -r leaves none of its files nor its systemd
enablement; its state survives removal and goes on purge.

Usage: package_install_e2e.py SOURCE_DIR BUILD_DIR
"""
import functools
import gzip
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_common  # noqa: E402
from e2e_common import fail, ok, require_root, skip_or_fail  # noqa: E402

SOURCE, BUILD = sys.argv[1], sys.argv[2]
STATE = "/var/lib/hupwatch"
# What deb-systemd-helper would leave if the maintainer scripts forgot it.
SYSTEMD_TRACES = [
    "/etc/systemd/system/multi-user.target.wants/hupwatch.service",
    "/etc/systemd/system/hupwatch.service",
    "/var/lib/systemd/deb-systemd-helper-enabled/hupwatch.service.dsh-also",
    "/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/hupwatch.service",
    "/var/lib/systemd/deb-systemd-helper-masked/hupwatch.service",
]


# e2e_common.run without its 120 s bound: package.sh may rebuild the binary.
run = functools.partial(e2e_common.run, timeout=None)


def installed():
    return run("dpkg-query", "-W", "-f=${Status}", "hupwatch", check=False).stdout.startswith(
        "install ok installed")


def build_package():
    for tool in ("dpkg", "cpack", "lintian", "help2man", "dpkg-shlibdeps"):
        if not shutil.which(tool):
            skip_or_fail(f"{tool} is missing (scripts/install-deps.sh)")
    env = dict(os.environ, HUPWATCH_BUILD_DIR=BUILD)
    deb = run(os.path.join(SOURCE, "scripts/package.sh"), env=env).stdout.strip()
    name = os.path.basename(deb)
    arch = run("dpkg", "--print-architecture").stdout.strip()
    if not (name.startswith("hupwatch_") and name.endswith(f"_{arch}.deb")):
        fail(f"package name {name} is not hupwatch_<version>_{arch}.deb")
    depends = run("dpkg-deb", "-f", deb, "Depends").stdout
    for lib in ("libbpf1", "libc6", "libsqlite3-0", "libmicrohttpd12", "libsystemd0"):
        if lib not in depends:
            fail(f"Depends lacks {lib} (dpkg-shlibdeps): {depends.strip()}")
    ok(f"built {name}, lintian clean, Depends: {depends.strip()}")
    return deb


def check_contents():
    files = run("dpkg", "-L", "hupwatch").stdout.split()
    binary = shutil.which("hupwatch", path="/usr/sbin:/usr/bin")
    if binary != "/usr/sbin/hupwatch":
        fail(f"hupwatch is not /usr/sbin/hupwatch on PATH: {binary}")
    unit = "/lib/systemd/system/hupwatch.service"
    with open(unit) as f:
        exec_start = [line for line in f if line.startswith("ExecStart=")]
    if not exec_start or not exec_start[0].startswith(f"ExecStart={binary} run"):
        fail(f"{unit}: ExecStart does not run {binary}: {exec_start}")
    for path in ("/usr/lib/systemd/catalog/hupwatch.catalog",
                 "/usr/share/hupwatch/prometheus/hupwatch-alerts.yml",
                 "/usr/share/hupwatch/prometheus/hupwatch-alerts.test.yml",
                 "/usr/share/hupwatch/grafana/hupwatch.json",
                 "/usr/share/doc/hupwatch/copyright",
                 "/usr/share/doc/hupwatch/docs/deploy.md"):
        if path not in files:
            fail(f"the package has no {path}")
    # postinst enabled it (deb-systemd-helper works without a running systemd).
    if not os.path.islink(SYSTEMD_TRACES[0]):
        fail(f"postinst did not enable the unit: no {SYSTEMD_TRACES[0]}")
    with gzip.open("/usr/share/man/man8/hupwatch.8.gz", "rt") as f:
        man = f.read()
    listed = run(binary, "--help").stdout.split("Subcommands:")[1].splitlines()
    commands = [line.split()[0] for line in listed if line.strip()]
    if len(commands) < 7:
        fail(f"hupwatch --help lists too few commands: {commands}")
    for command in commands:
        if f".SS {command}\n" not in man:
            fail(f"the man page has no section for '{command}'")
    ok(f"{len(files)} paths; {binary}, unit enabled, ExecStart matches, "
       "man page covers every command")
    return [p for p in files if not os.path.isdir(p)]


def main():
    require_root()
    if installed():
        skip_or_fail("a hupwatch package is already installed here; not touching it")
    deb = build_package()
    run("dpkg", "-i", deb)
    try:
        files = check_contents()
        version = run("hupwatch", "--version").stdout.strip()
        if not version.startswith("hupwatch "):
            fail(f"installed hupwatch --version said {version!r}")
        check = run("/usr/sbin/hupwatch", "check", check=False)
        if check.returncode != 0 or "result: ok" not in check.stdout:
            fail(f"installed hupwatch check exited {check.returncode}: "
                 f"{check.stdout[-400:]} {check.stderr.strip()}")
        ok(f"installed {version}; hupwatch check: result: ok")
        os.makedirs(STATE, exist_ok=True)
        with open(os.path.join(STATE, "hupwatch.db"), "w") as f:
            f.write("state")
    finally:
        run("dpkg", "-r", "hupwatch", check=False)
    if installed():
        fail("dpkg -r left the package installed")
    left = [p for p in files + SYSTEMD_TRACES if os.path.lexists(p)]
    if left:
        fail(f"dpkg -r left files behind: {left}")
    if not os.path.exists(os.path.join(STATE, "hupwatch.db")):
        fail("dpkg -r removed the state; only purge may")
    ok(f"dpkg -r: none of {len(files)} files left, no systemd links; state kept")
    run("dpkg", "-P", "hupwatch")
    if os.path.exists(STATE):
        fail(f"dpkg -P left {STATE}")
    status = run("dpkg-query", "-W", "-f=${Status}", "hupwatch", check=False).stdout
    if "config-files" in status:
        fail("dpkg -P left the package in config-files state")
    ok("dpkg -P: state removed")


main()
