#!/usr/bin/env python3
"""The event store's size cap (issue 15: the store grew without bound by
default; `--db.max-size` was 0).

- `hupwatch run --help` shows the default cap, 1G (docs/store.md);
- with a small cap (4M), a spawn storm of this test's own processes fills
  the store past it: the oldest events are pruned (hupwatch_store_rows_pruned
  _total rises, the first run's seed is among them), the live pages of the
  main file stay within the cap plus one batch, the WAL stays bounded, and
  the newest events are still there.
Prints the bytes per stored row it measured (docs/store.md quotes them).

Usage: store_size_cap_e2e.py HUPWATCH_BINARY   (as root)
"""
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import urllib.request

from e2e_common import Daemon, fail, free_port, ok, require_root, wait_for

CAP = 4 << 20
SLACK = 1 << 20  # pruning runs after a commit: one batch may be over the cap
WAL_LIMIT = 64 << 20


def scrape_value(port, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        found = re.search(rf"^{name} (\S+)$", reply.read().decode(), re.M)
    return float(found.group(1)) if found else None


def live_bytes(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    pages, free, size = (con.execute(f"PRAGMA {p}").fetchone()[0]
                         for p in ("page_count", "freelist_count", "page_size"))
    rows = sum(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
               for t in ("events", "findings", "seeds"))
    con.close()
    return (pages - free) * size, rows


def main():
    require_root()
    binary = os.path.abspath(sys.argv[1])
    help_text = subprocess.run([binary, "run", "--help"], capture_output=True, text=True).stdout
    line = next((l for l in help_text.splitlines() if "--db.max-size" in l), "")
    if "=1G " not in line:
        fail(f"run --help does not show the default cap 1G: {line!r}")
    ok("run --help: --db.max-size defaults to 1G")

    work = tempfile.mkdtemp(prefix="hupwatch-cap-")
    db = os.path.join(work, "h.db")
    port = free_port()
    daemon = Daemon(binary, os.path.join(work, "run.log"),
                    ["--db", db, "--db.max-size", "4M", f"--web.listen-address=127.0.0.1:{port}"])
    try:
        daemon.wait_running()
        marker = os.path.join(work, "hwcapstorm")
        os.symlink(shutil.which("true"), marker)
        storms = 0
        while (scrape_value(port, "hupwatch_store_rows_pruned_total") or 0) == 0:
            storms += 1
            if storms > 20:
                fail("20 storms of 2000 processes and nothing was pruned")
            subprocess.run(["bash", "-c", f"for i in $(seq 2000); do {marker}; done"],
                           check=True, timeout=120)
            size, rows = live_bytes(db)
            if size > CAP + SLACK:
                fail(f"live pages {size} bytes, over the cap {CAP} by more than {SLACK}")
        written = scrape_value(port, "hupwatch_store_rows_written_total")
        pruned = scrape_value(port, "hupwatch_store_rows_pruned_total")
        # One last storm: the newest rows are kept (pruning takes the oldest).
        subprocess.run(["bash", "-c", f"for i in $(seq 500); do {marker}; done"], check=True)
        wait_for(lambda: sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute(
            "SELECT count(*) FROM events WHERE comm = 'hwcapstorm'").fetchone()[0] >= 500, 20,
            "the newest storm's events kept")
        wal = os.path.getsize(db + "-wal") if os.path.exists(db + "-wal") else 0
        if wal > WAL_LIMIT:
            fail(f"the WAL is {wal} bytes, over its bound {WAL_LIMIT}")
        size, rows = live_bytes(db)
        if size > CAP + SLACK:
            fail(f"live pages {size} bytes after the storms, cap {CAP}")
        daemon.stop()
        ok(f"{storms} storms: {written:.0f} rows written, {pruned:.0f}+ pruned; {size} live bytes "
           f"for {rows} rows ({size / max(rows, 1):.0f} bytes per row); WAL {wal} bytes")
    finally:
        daemon.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
