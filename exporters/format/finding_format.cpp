#include "finding_format.h"

#include <fmt/format.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "event_text.h"
#include "signal_names.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

using Json = nlohmann::ordered_json;

Json tty_json(std::uint32_t dev) {
    if (auto name = tty_name(dev)) return *name;
    return nullptr;
}

Json unless_unset(std::uint32_t value) {
    if (value == UINT32_MAX) return nullptr;
    return value;
}

template <typename T>
Json optional_json(const std::optional<T>& value) {
    return value ? Json(*value) : Json(nullptr);
}

Json ref_json(const ProcessRef& p) {
    Json j = Json::object();
    j["pid"] = p.pid;
    j["start_ns"] = p.start_ns;
    j["comm"] = p.comm;
    return j;
}

// The keys every event and finding starts with (docs/events.md).
Json common_keys(std::string_view event, std::uint64_t ktime_ns, const BootClock& clock,
                 const ProcessRef& process, std::uint32_t ppid, std::uint32_t sid,
                 std::uint32_t tty_dev, std::uint32_t uid) {
    Json j = Json::object();
    j["event"] = event;
    j["time"] = clock.rfc3339(ktime_ns);
    j["pid"] = process.pid;
    j["start_ns"] = process.start_ns;
    j["comm"] = process.comm;
    j["ppid"] = ppid;
    j["sid"] = sid;
    j["tty"] = tty_json(tty_dev);
    j["uid"] = uid;
    return j;
}

Json to_json_body(const DisconnectFinding& d, const BootClock& clock) {
    Json j =
        common_keys("disconnect", d.ktime_ns, clock, d.leader, d.ppid, d.sid, d.tty_dev, d.uid);
    j["user"] = d.user;
    j["loginuid"] = unless_unset(d.loginuid);
    j["audit_session"] = unless_unset(d.audit_session);
    j["hung_up_by_pid"] = d.hung_up_by_pid;
    j["hung_up_by_comm"] = d.hung_up_by_comm;
    return j;
}

Json to_json_body(const SessionEndFinding& e, const BootClock& clock) {
    Json j =
        common_keys("session_end", e.ktime_ns, clock, e.leader, e.ppid, e.sid, e.tty_dev, e.uid);
    j["user"] = e.user;
    int sig = e.raw_status & 0x7f;
    j["exit_code"] = sig ? Json(nullptr) : Json((e.raw_status >> 8) & 0xff);
    j["signal"] = sig ? Json(signal_name(sig)) : Json(nullptr);
    return j;
}

// Keys only a `killed` verdict has (docs/events.md); "cause" is the kill
// cause there.
void put_kill_keys(Json& j, const Verdict& v) {
    const KillDetails& k = *v.kill;
    j["cause"] = kill_cause_name(k.cause);
    j["job"] = k.job;
    j["core_dumped"] = k.core_dumped;
    const Killer* killer = k.killer ? &*k.killer : nullptr;
    j["killer_pid"] = killer ? Json(killer->process.pid) : Json(nullptr);
    j["killer_start_ns"] = killer ? Json(killer->process.start_ns) : Json(nullptr);
    j["killer_comm"] = killer ? Json(killer->process.comm) : Json(nullptr);
    j["killer_argv"] = killer ? Json(killer->argv) : Json(nullptr);
    j["killer_user"] = killer && !killer->user.empty() ? Json(killer->user) : Json(nullptr);
    j["killer_login_user"] =
        killer && !killer->login_user.empty() ? Json(killer->login_user) : Json(nullptr);
    j["killer_tty"] = killer ? tty_json(killer->tty_dev) : Json(nullptr);
    j["killer_sid"] = killer ? Json(killer->sid) : Json(nullptr);
    j["unit"] = optional_json(k.unit);
    j["memory_cgroup"] = optional_json(k.memory_cgroup);
    j["summary"] = kill_sentence(v);
}

Json to_json_body(const Verdict& v, const BootClock& clock) {
    Json j = common_keys("verdict", v.ktime_ns, clock, v.process, v.ppid, v.sid, v.tty_dev, v.uid);
    j["verdict"] = verdict_kind_name(v.kind);
    j["user"] = v.user;
    j["argv"] = v.argv;
    j["started"] = clock.rfc3339(v.process.start_ns);
    j["run_time_seconds"] = static_cast<double>(v.run_time_ns) / 1e9;
    j["supervision"] = supervision_name(v.supervision);
    j["sighup"] = sighup_disposition_name(v.sighup);
    j["signal"] = v.signal ? Json(signal_name(v.signal)) : Json(nullptr);
    j["exit_code"] = optional_json(v.exit_code);
    j["via_pid"] = v.via ? Json(v.via->pid) : Json(nullptr);
    j["via_comm"] = v.via ? Json(v.via->comm) : Json(nullptr);
    j["confidence"] = confidence_name(v.confidence);
    j["disconnect_time"] =
        v.disconnect_ktime_ns ? Json(clock.rfc3339(*v.disconnect_ktime_ns)) : Json(nullptr);
    j["disconnect_sid"] = optional_json(v.disconnect_sid);
    j["cause"] = v.cause ? Json(orphan_cause_name(*v.cause)) : Json(nullptr);
    j["survived_because"] =
        v.survived_because ? Json(survival_reason_name(*v.survived_because)) : Json(nullptr);
    j["new_parent_pid"] = v.new_parent ? Json(v.new_parent->pid) : Json(nullptr);
    j["new_parent_comm"] = v.new_parent ? Json(v.new_parent->comm) : Json(nullptr);
    j["reaper"] = v.reaper ? Json(reaper_kind_name(*v.reaper)) : Json(nullptr);
    j["output_lost"] = v.output_lost;
    j["eio_writes"] = v.eio_writes;
    j["dead_fds"] = v.dead_fds;
    Json lineage = Json::array();
    for (const auto& p : v.lineage) lineage.push_back(ref_json(p));
    j["lineage"] = lineage;
    Json evidence = Json::array();
    for (const auto& e : v.evidence) {
        Json item = Json::object();
        item["time"] = clock.rfc3339(e.ktime_ns);
        item["kind"] = e.kind;
        item["detail"] = e.detail;
        evidence.push_back(item);
    }
    j["evidence"] = evidence;
    if (v.kill) put_kill_keys(j, v);
    return j;
}

std::string tty_text(std::uint32_t dev) {
    return tty_name(dev).value_or("no tty");
}

std::string text_body(const DisconnectFinding& d) {
    return fmt::format("session {} of {} on {} hung up by {} {}", d.sid,
                       escape_for_terminal(d.user), tty_text(d.tty_dev),
                       escape_for_terminal(d.hung_up_by_comm), d.hung_up_by_pid);
}

std::string text_body(const SessionEndFinding& e) {
    return fmt::format("session {} of {} on {} ended (logout)", e.sid, escape_for_terminal(e.user),
                       tty_text(e.tty_dev));
}

std::string text_body(const Verdict& v) {
    std::string out(verdict_kind_name(v.kind));
    switch (v.kind) {
        case VerdictKind::KilledByDisconnect:
        case VerdictKind::KilledByLogout:
            out += fmt::format(": {}", signal_name(v.signal));
            if (v.via)
                out += fmt::format(" via {} {}", escape_for_terminal(v.via->comm), v.via->pid);
            break;
        case VerdictKind::DiedAfterDisconnect:
            out += v.signal ? fmt::format(": {}", signal_name(v.signal))
                            : fmt::format(": exit {}", v.exit_code.value_or(-1));
            out += " (inferred)";
            break;
        case VerdictKind::Orphaned:
            out += fmt::format(" ({}", v.cause ? orphan_cause_name(*v.cause) : "?");
            if (v.survived_because)
                out += fmt::format(", survived: {}", survival_reason_name(*v.survived_because));
            out += ")";
            [[fallthrough]];
        case VerdictKind::Daemonized:
            if (v.new_parent)
                out += fmt::format(" -> {} ({})", v.new_parent->pid,
                                   v.reaper ? reaper_kind_name(*v.reaper) : "");
            break;
        case VerdictKind::Killed:
            if (v.kill)
                out += fmt::format(" ({}): {}", kill_cause_name(v.kill->cause),
                                   escape_for_terminal(kill_sentence(v)));
            break;
    }
    out += fmt::format(" after {}, user {}, supervision {}, sighup {}",
                       human_duration(v.run_time_ns), escape_for_terminal(v.user),
                       supervision_name(v.supervision), sighup_disposition_name(v.sighup));
    if (v.output_lost) out += ", output lost";
    return out;
}

template <typename T>
std::uint64_t time_of(const T& f) {
    return f.ktime_ns;
}

std::string command_of(const Killer& k) {
    if (k.argv.empty()) return k.process.comm;
    std::string out;
    for (const auto& arg : k.argv) out += (out.empty() ? "" : " ") + arg;
    return out;
}

// "from `kill 4242` run by bob (logged in as alice) on pts/7"
std::string killer_phrase(const Killer& k) {
    std::string out = fmt::format("`{}` (pid {})", command_of(k), k.process.pid);
    if (!k.user.empty()) out += " run by " + k.user;
    if (!k.login_user.empty() && k.login_user != k.user)
        out += fmt::format(" (logged in as {})", k.login_user);
    if (auto tty = tty_name(k.tty_dev)) out += " on " + *tty;
    return out;
}

std::string_view rlimit_of(int sig) {
    return sig == SIGXFSZ ? "RLIMIT_FSIZE" : "RLIMIT_CPU";
}

}  // namespace

std::string kill_sentence(const Verdict& v) {
    if (!v.kill) return "";
    const KillDetails& k = *v.kill;
    const std::string sig(signal_name(v.signal));
    const std::string core = k.core_dumped ? " (core dumped)" : "";
    switch (k.cause) {
        case KillCause::OomKernel:
            return fmt::format("killed by {} from the kernel's OOM killer (memory cgroup {})", sig,
                               k.memory_cgroup.value_or("?"));
        case KillCause::Crash:
            return fmt::format(
                "crashed: {}{}{}", sig, core,
                v.confidence == Confidence::Inferred ? " (from its exit status)" : "");
        case KillCause::ResourceLimit:
            return fmt::format("killed by {} from the kernel: it reached its {}", sig,
                               rlimit_of(v.signal));
        case KillCause::BrokenPipe:
            return fmt::format("killed by {}: it wrote to a pipe with no reader", sig);
        case KillCause::CgroupKill:
            return fmt::format("killed by {} from a write to cgroup.kill{}", sig,
                               k.killer ? " by " + killer_phrase(*k.killer) : "");
        case KillCause::Parent:
            return fmt::format("killed by {} from its ancestor {}{}", sig,
                               k.killer ? killer_phrase(*k.killer) : "?", core);
        case KillCause::Operator:
            return fmt::format("killed by {} from {}{}", sig,
                               k.killer ? killer_phrase(*k.killer) : "?", core);
        case KillCause::SessionStop:
            return fmt::format("killed by {} from systemd stopping login session scope {}", sig,
                               k.unit.value_or("?"));
        case KillCause::ServiceManager:
            if (!k.unit)
                return fmt::format(
                    "killed by {} from systemd stopping its unit, unnamed: its "
                    "cgroup was gone before it was read",
                    sig);
            return fmt::format("killed by {} from systemd stopping unit {}", sig, *k.unit);
        case KillCause::OomUserspace:
            return fmt::format("killed by {} from the userspace OOM killer {}", sig,
                               k.killer ? killer_phrase(*k.killer) : "?");
        case KillCause::Unknown:
            break;
    }
    return fmt::format("killed by {} from {}{}", sig,
                       k.killer ? killer_phrase(*k.killer) : "an unknown sender", core);
}

std::string human_duration(std::uint64_t ns) {
    std::uint64_t ms = ns / 1'000'000;
    if (ms < 1000) return fmt::format("{}ms", ms);
    std::uint64_t s = ms / 1000;
    if (s < 60) return fmt::format("{}s", s);
    if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
    if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
    return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

nlohmann::ordered_json to_json(const Finding& finding, const BootClock& clock) {
    return std::visit([&](const auto& f) { return to_json_body(f, clock); }, finding);
}

std::string to_json_line(const Finding& finding, const BootClock& clock) {
    return to_json(finding, clock).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string to_text_line(const Finding& finding, const BootClock& clock) {
    return std::visit(
        [&](const auto& f) {
            using T = std::decay_t<decltype(f)>;
            std::string name = std::is_same_v<T, DisconnectFinding>   ? "disconnect"
                               : std::is_same_v<T, SessionEndFinding> ? "session_end"
                                                                      : "verdict";
            const ProcessRef& p = [&]() -> const ProcessRef& {
                if constexpr (std::is_same_v<T, Verdict>)
                    return f.process;
                else
                    return f.leader;
            }();
            return fmt::format("{} {:<8} {} {:<9} {}", clock.local_time_of_day(time_of(f)), name,
                               p.pid, escape_for_terminal(p.comm), text_body(f));
        },
        finding);
}

}  // namespace hupwatch
