#include "event_json.h"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "signal_names.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

using Json = nlohmann::ordered_json;

// The kernel's "unset" for loginuid and the audit session id is (u32)-1;
// null says so without a magic number.
Json unless_unset(std::uint32_t value) {
    if (value == UINT32_MAX) return nullptr;
    return value;
}

Json tty_json(std::uint32_t dev) {
    if (auto name = tty_name(dev)) return *name;
    return nullptr;
}

void put_process(Json& j, const ProcessInfo& p) {
    j["pid"] = p.pid;
    j["start_ns"] = p.start_ns;
    j["comm"] = p.comm;
    j["ppid"] = p.ppid;
    j["sid"] = p.sid;
    j["tty"] = tty_json(p.tty_dev);
    j["uid"] = p.uid;
    j["pgid"] = p.pgid;
    j["tid"] = p.tid;
    j["loginuid"] = unless_unset(p.loginuid);
    j["audit_session"] = unless_unset(p.audit_session);
    j["cgroup_id"] = p.cgroup_id;
}

void put_body(Json& j, const ForkEvent& e) {
    j["parent_start_ns"] = e.parent_start_ns;
}

void put_body(Json& j, const ExecEvent& e) {
    j["filename"] = e.filename;
    j["argv"] = e.argv;
    j["argv_truncated"] = e.argv_truncated;
    j["old_pid"] = e.old_pid;
}

void put_body(Json& j, const ExitEvent& e) {
    const auto code = e.exit_code();
    j["exit_code"] = code ? Json(*code) : Json(nullptr);
    j["signal"] = code ? Json(nullptr) : Json(signal_name(e.term_signal()));
    j["core_dumped"] = e.core_dumped();
    j["utime_ns"] = e.utime_ns;
    j["stime_ns"] = e.stime_ns;
    j["orphans"] = e.orphans;
    j["orphans_overflow"] = e.orphans_overflow;
}

void put_body(Json& j, const SignalEvent& e) {
    j["signal"] = signal_name(e.sig);
    j["sender_pid"] = e.sender_pid;
    j["sender_start_ns"] = e.sender_start_ns;
    j["sender_comm"] = e.sender_comm;
    j["origin"] = signal_origin_name(e.origin);
    j["result"] = signal_result_name(e.result);
    j["si_code"] = e.si_code;
    j["group"] = e.group;
}

void put_body(Json& j, const ReparentEvent& e) {
    j["old_ppid"] = e.old_ppid;
    j["old_parent_start_ns"] = e.old_parent_start_ns;
    j["new_ppid"] = e.new_ppid;
    j["new_parent_start_ns"] = e.new_parent_start_ns;
    j["reaper"] = reaper_kind_name(e.reaper);
}

void put_body(Json& j, const SessionEvent& e) {
    j["ret"] = e.ret;
    const auto error = syscall_error_name(e.ret);
    j["error"] = error ? Json(*error) : Json(nullptr);
    if (e.call == SessionCall::Setpgid) {
        j["target_pid"] = e.arg_pid;
        j["target_pgid"] = e.arg_pgid;
    }
}

void put_body(Json& j, const OutputLostEvent& e) {
    j["eio_writes"] = e.eio_writes;
    j["fd"] = e.fd;
}

}  // namespace

std::string_view output_event_name(const Event& event) {
    if (const auto* session = std::get_if<SessionEvent>(&event.body))
        return session_call_name(session->call);
    return event_type_name(event.type());
}

Json to_json(const Event& event, const BootClock& clock) {
    Json j = Json::object();
    j["event"] = output_event_name(event);
    j["time"] = clock.rfc3339(event.ktime_ns);
    put_process(j, event.subject());
    std::visit([&j](const auto& body) { put_body(j, body); }, event.body);
    return j;
}

std::string to_json_line(const Event& event, const BootClock& clock) {
    // Strings come from the traced processes (comm, argv, filename) and are
    // arbitrary bytes; replace keeps one bad argv from losing the event.
    return to_json(event, clock).dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace hupwatch
