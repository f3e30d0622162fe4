#!/usr/bin/env bash
# Checks the deployment files under deploy/:
#   1. the alert rules (promtool check rules), their unit tests (promtool test
#      rules), that every alert has a firing and a quiet test case, and the
#      example Prometheus config (promtool check config);
#   2. the Grafana dashboard: valid JSON, uid "hupwatch", the datasource and
#      instance variables, no hard-coded datasource, every target has expr and
#      refId and filters on instance=~"$instance";
#   3. every metric named by a rule or a panel is one hupwatch exports;
#   4. every dashboard query parses in a real (throwaway, empty) Prometheus;
#   5. the systemd unit (systemd-analyze verify, when it can run here), and
#      its exposure: systemd-analyze security --offline=true rates it <= 2.0.
# Run from the repository root, no arguments. Exit 0 on success. Without
# promtool/prometheus it prints SKIPPED and exits 0, except under CI=true.
set -euo pipefail

cd "$(dirname "$0")/../.."
RULES=deploy/prometheus/hupwatch-alerts.yml
RULE_TESTS=deploy/prometheus/hupwatch-alerts.test.yml
PROM_EXAMPLE=deploy/prometheus/prometheus.example.yml
DASHBOARD=deploy/grafana/hupwatch.json
UNIT=deploy/systemd/hupwatch.service

fail() { echo "check_deploy: FAIL: $*" >&2; exit 1; }
ok() { echo "check_deploy: ok: $*"; }

missing=()
for tool in promtool prometheus python3 curl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    if [[ "${CI:-}" == "true" ]]; then
        fail "missing ${missing[*]} (CI=true: required; Debian: apt-get install prometheus curl python3)"
    fi
    echo "check_deploy: SKIPPED: missing ${missing[*]} (Debian: apt-get install prometheus curl python3)"
    exit 0
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# --- 1. Rules, their tests, the example config ------------------------------
promtool check rules "$RULES" >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "promtool check rules $RULES"; }
ok "promtool check rules $RULES"
promtool test rules "$RULE_TESTS" >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "promtool test rules $RULE_TESTS"; }
ok "promtool test rules $RULE_TESTS"
promtool check config "$PROM_EXAMPLE" >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "promtool check config $PROM_EXAMPLE"; }
ok "promtool check config $PROM_EXAMPLE"

# --- 2, 3. Static checks of rules and dashboard (python3) -------------------
# Writes the dashboard's queries, variables substituted, to $work/exprs.
python3 - "$RULES" "$RULE_TESTS" "$DASHBOARD" "$work/exprs" <<'PY'
import json, os, re, sys

rules_path, tests_path, dash_path, exprs_path = sys.argv[1:]
errors = []

# The exported metric families (docs/metrics.md), plus Prometheus' own `up`.
KNOWN = {
    "hupwatch_disconnects_total", "hupwatch_jobs_killed_total",
    "hupwatch_other_processes_killed_total",
    "hupwatch_deaths_after_disconnect_total", "hupwatch_orphans_total",
    "hupwatch_daemonized_total", "hupwatch_orphaned_jobs",
    "hupwatch_orphaned_job_cpu_seconds_total", "hupwatch_oldest_orphaned_job_age_seconds",
    "hupwatch_jobs_at_risk", "hupwatch_output_lost_writes_total", "hupwatch_signals_total",
    "hupwatch_events_total", "hupwatch_events_lost_total", "hupwatch_tracked_processes",
    "hupwatch_build_info", "process_cpu_seconds_total", "process_resident_memory_bytes",
    "process_start_time_seconds", "process_open_fds",
}
METRIC = re.compile(r"\b((?:hupwatch|process)_[a-z0-9_]+)\b")
def check_metrics(where, expr):
    for name in METRIC.findall(expr):
        if name not in KNOWN:
            errors.append(f"{where}: unknown metric {name} in: {expr}")

# Rules: with PyYAML (python3-yaml), optional outside CI.
try:
    import yaml
except ImportError:
    yaml = None
    if os.environ.get("CI") == "true":
        errors.append("no PyYAML (python3-yaml): required under CI=true")
    print("check_deploy: note: no PyYAML, rule coverage and rule metric names not checked")
if yaml:
    rules = [r for g in yaml.safe_load(open(rules_path))["groups"] for r in g["rules"]]
    for r in rules:
        name = r.get("alert") or r.get("record")
        check_metrics(f"rule {name}", r["expr"])
        if "alert" in r:
            if "severity" not in r.get("labels", {}):
                errors.append(f"rule {name}: no severity label")
            for a in ("summary", "description", "runbook"):
                if a not in r.get("annotations", {}):
                    errors.append(f"rule {name}: no {a} annotation")
    fires, quiet = set(), set()
    for t in yaml.safe_load(open(tests_path))["tests"]:
        for c in t.get("alert_rule_test", []):
            (fires if c.get("exp_alerts") else quiet).add(c["alertname"])
    for r in rules:
        if "alert" in r:
            if r["alert"] not in fires:
                errors.append(f"{tests_path}: no test where {r['alert']} fires")
            if r["alert"] not in quiet:
                errors.append(f"{tests_path}: no test where {r['alert']} stays quiet")
    print(f"check_deploy: ok: {len(rules)} rules: labels, annotations, metric names, "
          "a firing and a quiet test each")

try:
    dash = json.load(open(dash_path))
except ValueError as e:
    sys.exit(f"check_deploy: FAIL: {dash_path} is not valid JSON: {e}")

if dash.get("uid") != "hupwatch":
    errors.append(f'dashboard uid is {dash.get("uid")!r}, not "hupwatch"')
if dash.get("schemaVersion", 0) < 37:
    errors.append(f'dashboard schemaVersion {dash.get("schemaVersion")} < 37')
variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
ds = variables.get("datasource")
if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
    errors.append("no template variable datasource (type datasource, query prometheus)")
inst = variables.get("instance")
if not inst:
    errors.append("no template variable instance")
else:
    q = inst.get("query")
    q = q.get("query") if isinstance(q, dict) else q
    if q != "label_values(hupwatch_build_info, instance)":
        errors.append(f"variable instance: query {q!r}")
    if not (inst.get("multi") and inst.get("includeAll")):
        errors.append("variable instance: must be multi with All")

# No hard-coded datasource anywhere: every datasource is the variable (or
# Grafana's built-in annotations).
VAR_UIDS = {"${datasource}", "$datasource"}
def walk(node, path):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "datasource":
                uid = v.get("uid") if isinstance(v, dict) else v
                if uid not in VAR_UIDS and uid != "-- Grafana --":
                    errors.append(f"{path}: hard-coded datasource {v!r}")
            walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, f"{path}[{i}]")
walk({k: v for k, v in dash.items() if k != "templating"}, "dashboard")
walk(dash.get("templating", {}), "templating")

def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))

queries = []
for p in all_panels(dash.get("panels", [])):
    if p.get("type") == "row":
        continue
    where = f'panel {p.get("id")} "{p.get("title")}"'
    if (p.get("datasource") or {}).get("uid") not in VAR_UIDS:
        errors.append(f"{where}: panel datasource is not ${{datasource}}")
    if not p.get("targets"):
        errors.append(f"{where}: no targets")
    for t in p.get("targets", []):
        if not t.get("expr") or not t.get("refId"):
            errors.append(f"{where}: a target without expr or refId: {t}")
            continue
        queries.append((where + " " + t["refId"], t["expr"]))
for a in dash.get("annotations", {}).get("list", []):
    if a.get("expr"):
        queries.append((f'annotation "{a.get("name")}"', a["expr"]))

SUBST = [("${instance}", ".*"), ("$instance", ".*"), ("$__rate_interval", "1m"),
         ("${__rate_interval}", "1m"), ("$__interval", "1m"), ("${__interval}", "1m"),
         ("$__range", "1h"), ("${__range}", "1h")]
with open(exprs_path, "w") as out:
    for where, expr in queries:
        if 'instance=~"$instance"' not in expr:
            errors.append(f'{where}: does not filter on instance=~"$instance": {expr}')
        check_metrics(where, expr)
        for var, value in SUBST:
            expr = expr.replace(var, value)
        if "$" in expr:
            errors.append(f"{where}: unknown variable left in: {expr}")
        out.write(where.replace("\t", " ") + "\t" + " ".join(expr.split()) + "\n")

if errors:
    for e in errors:
        print(f"check_deploy: FAIL: {e}", file=sys.stderr)
    sys.exit(1)
print(f"check_deploy: ok: dashboard uid, variables, datasources, {len(queries)} queries "
      "with refId, instance filter and known metrics")
PY

# --- 4. Every dashboard query against a real Prometheus ---------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1m
scrape_configs: []
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$port" >"$work/prometheus.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/prometheus.log" >&2; fail "prometheus did not start"; }
    sleep 0.2
done
curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null || { tail -20 "$work/prometheus.log" >&2; fail "prometheus not ready after 20 s"; }

checked=0
bad=0
while IFS=$'\t' read -r where expr; do
    reply=$(curl -s "http://127.0.0.1:$port/api/v1/query" --data-urlencode "query=$expr")
    if [[ "$reply" != *'"status":"success"'* ]]; then
        echo "check_deploy: FAIL: $where: $expr" >&2
        echo "  -> $reply" >&2
        bad=$((bad + 1))
    fi
    checked=$((checked + 1))
done <"$work/exprs"
((bad == 0)) || fail "$bad of $checked dashboard queries rejected by Prometheus"
((checked > 0)) || fail "no dashboard query found"
ok "$checked dashboard queries accepted by Prometheus $(prometheus --version 2>&1 | awk 'NR==1{print $3}')"

# --- 5. The systemd unit -----------------------------------------------------
for want in '^ExecStart=/usr/sbin/hupwatch run' '^DynamicUser=yes' '^ExecReload=/bin/kill -HUP \$MAINPID' \
            '^Restart=on-failure' '^StateDirectory=hupwatch' '^ProtectSystem=strict' \
            '^CapabilityBoundingSet=.*CAP_BPF' '^CapabilityBoundingSet=.*CAP_PERFMON'; do
    grep -q "$want" "$UNIT" || fail "$UNIT: no line matching $want"
done
ok "$UNIT: ExecStart, ExecReload, Restart, StateDirectory, capabilities"
if command -v systemd-analyze >/dev/null 2>&1; then
    # The binary and its man page are not installed here: verify a copy that
    # runs a stand-in and names no documentation.
    printf '#!/bin/sh\n' >"$work/hupwatch"
    chmod +x "$work/hupwatch"
    sed -e "s#/usr/sbin/hupwatch#$work/hupwatch#" -e '/^Documentation=/d' "$UNIT" >"$work/hupwatch.service"
    if systemd-analyze verify "$work/hupwatch.service" >"$work/out" 2>&1 && [[ ! -s "$work/out" ]]; then
        ok "systemd-analyze verify $UNIT"
    elif grep -q 'hupwatch.service' "$work/out"; then
        cat "$work/out" >&2
        fail "systemd-analyze verify $UNIT"
    else
        echo "check_deploy: note: systemd-analyze verify cannot run here, skipped:" \
            "$(head -1 "$work/out")"
    fi
    # The exposure score of the shipped unit, as an operator's audit sees it.
    if systemd-analyze security --offline=true "$UNIT" >"$work/security" 2>&1; then
        score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$work/security")
        [[ -n "$score" ]] || fail "systemd-analyze security printed no score: $(tail -2 "$work/security")"
        awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' ||
            fail "systemd-analyze security rates $UNIT $score, above 2.0"
        ok "systemd-analyze security --offline=true $UNIT: $score (<= 2.0)"
    elif [[ "${CI:-}" == "true" ]]; then
        fail "systemd-analyze security --offline=true failed: $(tail -2 "$work/security")"
    else
        echo "check_deploy: SKIPPED: systemd-analyze security: $(tail -1 "$work/security")"
    fi
else
    [[ "${CI:-}" == "true" ]] && fail "no systemd-analyze (package systemd): CI=true requires it"
    echo "check_deploy: note: no systemd-analyze, unit not verified"
fi

echo "check_deploy: PASS"
