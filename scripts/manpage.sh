#!/usr/bin/env bash
# Writes hupwatch(8) from its sources of truth, at build time:
#   the binary's own --help, and each subcommand's (help2man);
#   the exit-code table of docs/cli.md.
# Usage: manpage.sh BINARY SOURCE_DIR OUTPUT.8
set -euo pipefail
bin=$1 src=$2 out=$3
command -v help2man >/dev/null || { echo "manpage.sh: help2man is missing (apt-get install help2man)" >&2; exit 1; }
include=$(mktemp)
trap 'rm -f "$include"' EXIT
# roff escapes: a leading dot or quote would be a request; backslashes double.
roff() { sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/'; }
{
  echo "[NAME]"
  echo "hupwatch \\- who killed my job? eBPF monitor of SSH disconnects, SIGHUP deaths and orphaned jobs"
  echo "[COMMANDS]"
  # Every subcommand the binary lists, so a new one cannot be left out.
  "$bin" --help | awk '/^Subcommands:/ {on=1; next} on && NF {print $1}' | while read -r cmd; do
    echo ".SS $cmd"
    echo ".nf"
    "$bin" "$cmd" --help | sed "s|^Usage: [^ ]*hupwatch|Usage: hupwatch|" | roff
    echo ".fi"
  done
  echo "[EXIT STATUS]"
  # The rows of docs/cli.md's "## Exit codes" table: | code | meaning |
  awk '/^## Exit codes/ {on=1; next} on && /^## / {on=0}
       on && /^\| [0-9]+ \|/ {
         split($0, f, "|"); code=f[2]; gsub(/ /, "", code);
         text=f[3]; for (i=4; i<length(f); i++) text=text "|" f[i];
         sub(/^ +/, "", text); sub(/ +$/, "", text); gsub(/`/, "", text);
         gsub(/\\/, "\\e", text);
         print ".TP"; print code; print text }' "$src/docs/cli.md"
  cat <<'ROFF'
[FILES]
.\" A line starting with "/" would be a help2man section pattern: \& first.
.TP
\&/var/lib/hupwatch/hupwatch.db
the event store that \fBhupwatch run\fR writes and \fBreplay\fR, \fBwhy\fR and \fBtree\fR read
.TP
\&/var/log/hupwatch/events.jsonl
events and findings as JSON lines, written by the packaged unit
.TP
\&/lib/systemd/system/hupwatch.service
the hardened systemd unit; change options with \fBsystemctl edit hupwatch\fR
.TP
\&/usr/share/hupwatch/
alert rules and their tests, the Grafana dashboard, a Prometheus example
.TP
\&/usr/share/doc/hupwatch/docs/
the full documentation: cli.md, events.md, metrics.md, store.md, deploy.md
[SEE ALSO]
.BR systemctl (1),
.BR journalctl (1),
.BR systemd.exec (5)
ROFF
} >"$include"
help2man --no-info --section=8 --source="hupwatch" --manual="System Administration" \
  --include="$include" --output="$out" "$bin"
