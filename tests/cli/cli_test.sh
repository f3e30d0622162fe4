#!/usr/bin/env bash
# CLI contract: versions, help for every subcommand, one-line errors with
# their documented exit codes (docs/cli.md). Usage: cli_test.sh path/to/hupwatch
set -u
bin=$1
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_exit CODE LINES-ON-STDERR CMD...: runs CMD, checks its exit code and
# that stderr holds exactly that many lines.
expect_exit() {
    local want=$1 want_lines=$2; shift 2
    local err rc
    err=$("$@" 2>&1 >/dev/null); rc=$?
    [ "$rc" -eq "$want" ] || fail "'$*' exited $rc, want $want (stderr: $err)"
    local lines; lines=$(printf '%s' "$err" | grep -c '' || true)
    [ "$lines" -eq "$want_lines" ] || fail "'$*' printed $lines stderr lines, want $want_lines: $err"
    printf '%s' "$err"
}

version=$("$bin" --version) || fail "--version failed"
[[ "$version" =~ ^hupwatch\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version printed '$version'"

for sub in "" watch run check ps replay why tree report; do
    out=$("$bin" $sub --help 2>&1) || fail "'$sub --help' failed"
    [[ "$out" == *Usage* || "$out" == *USAGE* || "$out" == *Options* || "$out" == *OPTIONS* ]] ||
        fail "'$sub --help' printed no usage"
done

err=$(expect_exit 2 1 "$bin" frobnicate)
[ "$err" = "hupwatch: unknown command 'frobnicate' (see hupwatch --help)" ] ||
    fail "unknown subcommand not named: $err"
err=$(expect_exit 2 1 "$bin" --frobnicate)
[ "$err" = "hupwatch: unknown option '--frobnicate' (see hupwatch --help)" ] ||
    fail "unknown option before any command not named: $err"
expect_exit 2 1 "$bin" >/dev/null
expect_exit 2 1 "$bin" watch --argv-max 1 >/dev/null
expect_exit 2 1 "$bin" run --events.json.max-size 12Q >/dev/null
expect_exit 2 1 "$bin" run --web.telemetry-path metrics >/dev/null
err=$(expect_exit 2 1 "$bin" run --web.listen-address nope)
[[ "$err" == "hupwatch: bad listen address 'nope'"* ]] || fail "bad listen address: $err"
err=$(expect_exit 2 1 "$bin" watch --signals HUP,NOPE)
[ "$err" = "hupwatch: unknown signal 'NOPE' in --signals" ] || fail "bad signal: $err"

# The store's readers and writer: a bad database or time is one line, exit 15
# (database) or 2 (usage), never a crash.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
err=$(expect_exit 15 1 "$bin" replay --db "$work/missing.db")
[[ "$err" == "hupwatch: cannot open database $work/missing.db"* ]] || fail "missing db: $err"
echo "not a database" >"$work/text.db"
err=$(expect_exit 15 1 "$bin" why 1 --db "$work/text.db")
[ "$err" = "hupwatch: $work/text.db is not a SQLite database" ] || fail "text db: $err"
expect_exit 15 1 "$bin" tree --at now --db "$work/text.db" >/dev/null
[ "$(cat "$work/text.db")" = "not a database" ] || fail "a reader changed a file that is not a store"
err=$(expect_exit 2 1 "$bin" replay --db "$work/text.db" --since garbage)
[[ "$err" == "hupwatch: --since: bad time 'garbage'"* ]] || fail "bad time: $err"
expect_exit 2 1 "$bin" tree --db "$work/text.db" >/dev/null
err=$(expect_exit 2 1 "$bin" why abc)
[ "$err" = "hupwatch: pid: 'abc' is not a pid, a number from 1 to 4194304 (see hupwatch --help)" ] ||
    fail "why abc: $err"
err=$(expect_exit 2 1 "$bin" replay --db "$work/text.db" --session 12a)
[ "$err" = "hupwatch: --session: '12a' is not a session id, a number from 0 to 4194304 (see hupwatch --help)" ] ||
    fail "replay --session 12a: $err"
# replay --reanalyze: the same contract as replay.
err=$(expect_exit 15 1 "$bin" replay --reanalyze --db "$work/text.db")
[ "$err" = "hupwatch: $work/text.db is not a SQLite database" ] || fail "reanalyze text db: $err"
err=$(expect_exit 15 1 "$bin" replay --reanalyze --json --db "$work/missing.db")
[[ "$err" == "hupwatch: cannot open database $work/missing.db"* ]] || fail "reanalyze missing db: $err"
err=$(expect_exit 2 1 "$bin" replay --reanalyze --db "$work/text.db" --until 25:99)
[[ "$err" == "hupwatch: --until: bad time '25:99'"* ]] || fail "reanalyze bad time: $err"
expect_exit 2 1 "$bin" replay --reanalyze=maybe --db "$work/text.db" >/dev/null
# report: the readers' contract, and a bad -o or --user is one line too.
err=$(expect_exit 15 1 "$bin" report --db "$work/missing.db" -o "$work/r.html")
[[ "$err" == "hupwatch: cannot open database $work/missing.db"* ]] || fail "report missing db: $err"
err=$(expect_exit 15 1 "$bin" report --db "$work/text.db")
[ "$err" = "hupwatch: $work/text.db is not a SQLite database" ] || fail "report text db: $err"
err=$(expect_exit 2 1 "$bin" report --db "$work/text.db" --since garbage)
[[ "$err" == "hupwatch: --since: bad time 'garbage'"* ]] || fail "report bad time: $err"
expect_exit 2 1 "$bin" report --db "$work/text.db" --since 10:40 --until 10:30 >/dev/null
err=$(expect_exit 2 1 "$bin" report --db "$work/text.db" --pid abc)
[ "$err" = "hupwatch: --pid: 'abc' is not a pid, a number from 0 to 4194304 (see hupwatch --help)" ] ||
    fail "report --pid abc: $err"
expect_exit 2 1 "$bin" report --db "$work/text.db" -o "" >/dev/null
err=$(expect_exit 2 1 "$bin" report --db "$work/text.db" --user no-such-user-hupwatch)
[ "$err" = "hupwatch: --user: no user 'no-such-user-hupwatch'" ] || fail "report bad user: $err"
[ -e "$work/r.html" ] && fail "report wrote a page after an error"
if [ "$(id -u)" -eq 0 ]; then
    # An unwritable --db at start-up: exit 15, one line.
    err=$(expect_exit 15 1 "$bin" run --db /proc/hupwatch-nope/h.db --web.listen-address 127.0.0.1:0)
    [[ "$err" == "hupwatch: cannot create /proc/hupwatch-nope"* ]] || fail "unwritable --db: $err"
fi

# A reversed time range is bad usage, not an empty answer (issue 15).
err=$(expect_exit 2 1 "$bin" replay --db "$work/text.db" --since 10:40 --until 10:30)
[ "$err" = "hupwatch: --since 10:40 is after --until 10:30: a reversed range matches nothing" ] ||
    fail "reversed range: $err"

# The contract page lists every option every subcommand's --help shows
# (issue 15), so an option added without documenting it fails here.
docs=$(dirname "$0")/../../docs/cli.md
for sub in watch run check ps replay why tree report; do
    for opt in $("$bin" $sub --help 2>&1 | grep -oE '^ +(-[A-Za-z],)?--[a-z][a-z0-9.-]*|^ +-[A-Za-z]\b' |
                 tr ',' '\n' | tr -d ' '); do
        [ "$opt" = "--help" ] || [ "$opt" = "-h" ] && continue
        grep -qF -- "\`$opt" "$docs" || grep -qE -- "[[ ]$opt[] |\`]" "$docs" ||
            fail "'hupwatch $sub --help' shows $opt, docs/cli.md does not"
    done
done

# Help and the error name the same time forms (one place: time_arg.h).
forms=$("$bin" tree --at garbage --db "$work/text.db" 2>&1 | sed -n "s/.*(use \(.*\))$/\1/p")
[ -n "$forms" ] || fail "tree --at garbage did not list the time forms"
"$bin" tree --help | tr -s ' \n' ' ' | grep -qF -- "$forms" ||
    fail "tree --help does not list the forms its error message does: $forms"

# The binary runs on jemalloc (CMakeLists.txt: the daemon's memory stays at its
# working set), the sanitizer builds on their own; check says which, root or not.
allocator=${HUPWATCH_EXPECTED_ALLOCATOR:-jemalloc}
"$bin" check 2>/dev/null | grep -qE "^heap allocator +$allocator " ||
    fail "check does not report $allocator as the heap allocator: $("$bin" check 2>&1 | grep heap)"

# Without privilege: exit 10 and one line naming what is missing.
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
    err=$(expect_exit 10 1 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        --bounding-set=-all "$bin" watch)
    [[ "$err" == *"needs root, or CAP_BPF and CAP_PERFMON"* ]] || fail "no-privilege message: $err"
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
        "$bin" check 2>/dev/null); rc=$?
    [ "$rc" -eq 10 ] || fail "check without privilege exited $rc, want 10"
    [[ "$out" == *"result: cannot run"* ]] || fail "check without privilege: $out"
    # stdout and stderr on one stream (a terminal, a log): the result line
    # ends before the reason starts.
    both=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
        "$bin" check 2>&1)
    [[ "$both" == *$'result: cannot run\nhupwatch: needs root'* ]] ||
        fail "check: the error is not on its own line after the result: $both"
fi

[ "$failures" -eq 0 ] && echo "cli_test: all passed"
exit "$failures"
