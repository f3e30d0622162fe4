#include "json_decoder.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "json_field_reader.h"
#include "proc_text.h"
#include "signal_names.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

template <typename T>
T value_or_zero(const std::optional<T>& v) {
    return v.value_or(T{});
}

ProcessInfo read_process(FieldReader& r) {
    ProcessInfo p;
    p.pid = r.u32("pid");
    p.start_ns = r.u64("start_ns");
    p.comm = r.str("comm");
    p.ppid = r.u32("ppid");
    p.sid = r.u32("sid");
    p.tty_dev = r.tty("tty");
    p.uid = r.u32("uid");
    p.pgid = r.u32("pgid");
    p.tid = r.u32("tid");
    p.loginuid = r.u32_or_unset("loginuid");
    p.audit_session = r.u32_or_unset("audit_session");
    p.cgroup_id = r.u64("cgroup_id");
    return p;
}

// The wait status the encoder split into exit_code, signal and core_dumped.
std::int32_t read_wait_status(FieldReader& r, bool with_core) {
    if (!r.is_null("exit_code")) {
        std::int64_t code = r.i64("exit_code");
        return static_cast<std::int32_t>((code & 0xff) << 8);
    }
    std::int32_t status = r.signal("signal") & 0x7f;
    if (with_core && r.boolean("core_dumped")) status |= 0x80;
    return status;
}

std::optional<EventBody> read_event_body(std::string_view name, FieldReader& r) {
    ProcessInfo p = read_process(r);
    if (name == "fork") return ForkEvent{p, r.u64("parent_start_ns")};
    if (name == "exec")
        return ExecEvent{p,
                         r.u32("old_pid"),
                         r.str("filename"),
                         r.strings("argv"),
                         r.boolean("argv_truncated"),
                         r.boolean_since_added("argv_redacted")};
    if (name == "exit")
        return ExitEvent{p,
                         read_wait_status(r, true),
                         r.u32("orphans"),
                         r.u32("orphans_overflow"),
                         r.u64("utime_ns"),
                         r.u64("stime_ns")};
    if (name == "signal")
        return SignalEvent{
            p,
            r.u32("sender_pid"),
            r.u64("sender_start_ns"),
            r.str("sender_comm"),
            r.signal("signal"),
            static_cast<int>(r.i64("si_code")),
            value_or_zero(r.named("origin", parse_signal_origin)),
            value_or_zero(r.named("result", parse_signal_result)),
            r.boolean("group"),
            r.boolean_since_added("no_info"),
            r.has("sender_uid") ? r.u32("sender_uid") : 0,
            r.has("sender_loginuid") ? r.u32_or_unset("sender_loginuid") : UINT32_MAX};
    if (name == "reparent")
        return ReparentEvent{p,
                             r.u32("old_ppid"),
                             r.u64("old_parent_start_ns"),
                             r.u32("new_ppid"),
                             r.u64("new_parent_start_ns"),
                             value_or_zero(r.named("reaper", parse_reaper_kind))};
    if (name == "setsid") return SessionEvent{p, SessionCall::Setsid, r.i64("ret"), 0, 0};
    if (name == "setpgid")
        return SessionEvent{p, SessionCall::Setpgid, r.i64("ret"), r.u32("target_pid"),
                            r.u32("target_pgid")};
    if (name == "output_lost") return OutputLostEvent{p, r.u64("eio_writes"), r.u32("fd")};
    if (name == "oom_victim")
        return OomVictimEvent{p,
                              r.u32("trigger_pid"),
                              r.u64("trigger_start_ns"),
                              r.u64("memcg_id"),
                              r.str("memcg_path"),
                              r.boolean("memcg_path_truncated")};
    if (name == "cgroup_mkdir")
        return CgroupMkdirEvent{p, r.u64("new_cgroup_id"), r.str("new_cgroup_path"),
                                r.boolean("new_cgroup_path_truncated")};
    if (name == "exit_unseen") return ExitUnseenEvent{p};
    return std::nullopt;
}

ProcessRef read_ref(FieldReader& r) {
    return {r.u32("pid"), r.u64("start_ns"), r.str("comm")};
}

// The common keys of a finding (finding_format.cpp's common_keys).
struct CommonKeys {
    std::uint64_t ktime_ns = 0;
    ProcessRef process;
    std::uint32_t ppid = 0, sid = 0, tty_dev = 0, uid = 0;
};

CommonKeys read_common(FieldReader& r) {
    return {r.time("time"), read_ref(r), r.u32("ppid"), r.u32("sid"), r.tty("tty"), r.u32("uid")};
}

DisconnectFinding read_disconnect(FieldReader& r) {
    CommonKeys c = read_common(r);
    return {c.ktime_ns,
            c.sid,
            c.ppid,
            c.tty_dev,
            c.process,
            c.uid,
            r.str("user"),
            r.u32_or_unset("loginuid"),
            r.u32_or_unset("audit_session"),
            r.u32("hung_up_by_pid"),
            r.str("hung_up_by_comm")};
}

SessionEndFinding read_session_end(FieldReader& r) {
    CommonKeys c = read_common(r);
    return {c.ktime_ns, c.sid, c.ppid,        c.tty_dev,
            c.process,  c.uid, r.str("user"), read_wait_status(r, false)};
}

std::vector<ProcessRef> read_refs(const Json& array, FieldReader& r) {
    std::vector<ProcessRef> out;
    for (const auto& item : array) {
        FieldReader inner = r.nested(item);
        if (item.is_object()) out.push_back(read_ref(inner));
        if (!item.is_object() || !inner.ok()) r.fail("lineage", "holds a bad process");
    }
    return out;
}

std::vector<Evidence> read_evidence(const Json& array, FieldReader& r) {
    std::vector<Evidence> out;
    for (const auto& item : array) {
        FieldReader inner = r.nested(item);
        if (item.is_object())
            out.push_back({inner.time("time"), inner.str("kind"), inner.str("detail")});
        if (!item.is_object() || !inner.ok()) r.fail("evidence", "holds a bad item");
    }
    return out;
}

std::optional<ProcessRef> read_named_pid(FieldReader& r, std::string_view pid_key,
                                         std::string_view comm_key) {
    if (r.is_null(pid_key)) return std::nullopt;
    return ProcessRef{r.u32(pid_key), 0, r.str(comm_key)};
}

void read_death_keys(FieldReader& r, Verdict& v) {
    v.signal = r.is_null("signal") ? 0 : r.signal("signal");
    if (!r.is_null("exit_code")) v.exit_code = static_cast<int>(r.i64("exit_code"));
    v.via = read_named_pid(r, "via_pid", "via_comm");
    v.confidence = value_or_zero(r.named("confidence", parse_confidence));
    if (!r.is_null("disconnect_time")) v.disconnect_ktime_ns = r.time("disconnect_time");
    if (!r.is_null("disconnect_sid")) v.disconnect_sid = r.u32("disconnect_sid");
}

std::optional<std::string> read_optional_string(FieldReader& r, std::string_view key) {
    if (r.is_null(key)) return std::nullopt;
    return r.str(key);
}

// A `killed` verdict's own keys (finding_format.cpp's put_kill_keys). The
// killer's uid and loginuid are written as names only, so they stay 0/unset.
KillDetails read_kill_keys(FieldReader& r) {
    KillDetails k;
    k.cause = value_or_zero(r.named("cause", parse_kill_cause));
    k.job = r.boolean("job");
    k.core_dumped = r.boolean("core_dumped");
    if (!r.is_null("killer_pid")) {
        Killer killer;
        killer.process = {r.u32("killer_pid"), r.u64("killer_start_ns"), r.str("killer_comm")};
        killer.argv = r.strings("killer_argv");
        killer.user = read_optional_string(r, "killer_user").value_or("");
        killer.login_user = read_optional_string(r, "killer_login_user").value_or("");
        killer.tty_dev = r.tty("killer_tty");
        killer.sid = r.u32("killer_sid");
        k.killer = std::move(killer);
    }
    k.unit = read_optional_string(r, "unit");
    k.memory_cgroup = read_optional_string(r, "memory_cgroup");
    return k;
}

void read_orphan_keys(FieldReader& r, Verdict& v) {
    // A killed verdict's "cause" is its kill cause (read_kill_keys).
    if (v.kind != VerdictKind::Killed) v.cause = r.named_or_null("cause", parse_orphan_cause);
    v.survived_because = r.named_or_null("survived_because", parse_survival_reason);
    v.new_parent = read_named_pid(r, "new_parent_pid", "new_parent_comm");
    v.reaper = r.named_or_null("reaper", parse_reaper_kind);
    v.output_lost = r.boolean("output_lost");
    v.eio_writes = r.u64("eio_writes");
    if (r.has("dead_fds")) {  // added to the contract later: absent in older stores
        const Json* fds = r.field("dead_fds");
        if (!fds->is_array()) return r.fail("dead_fds", "not an array");
        for (const auto& fd : *fds) {
            if (!fd.is_number_integer() || fd.get<std::int64_t>() < 0 ||
                fd.get<std::int64_t>() > INT32_MAX)
                return r.fail("dead_fds", "holds a bad fd");
            v.dead_fds.push_back(fd.get<int>());
        }
    }
}

Verdict read_verdict(FieldReader& r) {
    CommonKeys c = read_common(r);
    Verdict v;
    v.kind = value_or_zero(r.named("verdict", parse_verdict_kind));
    v.ktime_ns = c.ktime_ns;
    v.process = c.process;
    v.ppid = c.ppid;
    v.sid = c.sid;
    v.tty_dev = c.tty_dev;
    v.uid = c.uid;
    v.user = r.str("user");
    v.argv = r.strings("argv");
    // A double by contract; whole ns back.
    v.run_time_ns = static_cast<std::uint64_t>(std::llround(r.number("run_time_seconds") * 1e9));
    v.supervision = value_or_zero(r.named("supervision", parse_supervision));
    v.sighup = value_or_zero(r.named("sighup", parse_sighup_disposition));
    read_death_keys(r, v);
    read_orphan_keys(r, v);
    if (v.kind == VerdictKind::Killed) v.kill = read_kill_keys(r);
    if (const Json* lineage = r.field("lineage"); lineage && lineage->is_array())
        v.lineage = read_refs(*lineage, r);
    else if (lineage)
        r.fail("lineage", "not an array");
    if (const Json* evidence = r.field("evidence"); evidence && evidence->is_array())
        v.evidence = read_evidence(*evidence, r);
    else if (evidence)
        r.fail("evidence", "not an array");
    return v;
}

// The line into `out`, built in place: GCC 12 sees a moved nested variant
// as maybe uninitialized.
void read_line(FieldReader& r, std::optional<DecodedLine>& out) {
    const std::string name = r.str("event");
    if (!r.ok()) return;
    if (name == "disconnect" || name == "session_end" || name == "verdict") {
        Finding& finding = std::get<Finding>(out.emplace(std::in_place_type<Finding>));
        if (name == "disconnect")
            finding = read_disconnect(r);
        else if (name == "session_end")
            finding = read_session_end(r);
        else
            finding = read_verdict(r);
        return;
    }
    Event& event = std::get<Event>(out.emplace(std::in_place_type<Event>));
    event.ktime_ns = r.time("time");
    auto body = read_event_body(name, r);
    if (!body) return r.fail("event", fmt::format("\"{}\" is not an event or finding", name));
    event.body = std::move(*body);
}

}  // namespace

std::optional<DecodedLine> decode_json_line(std::string_view line, const BootClock& clock,
                                            std::string& error) {
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        error = "not a JSON object";
        return std::nullopt;
    }
    FieldReader r(j, clock);
    std::optional<DecodedLine> decoded;
    read_line(r, decoded);
    if (!r.ok()) {
        error = r.error();
        return std::nullopt;
    }
    return decoded;
}

}  // namespace hupwatch
