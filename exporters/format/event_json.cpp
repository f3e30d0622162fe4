#include "event_json.h"

#include <cstdint>

#include "json_line_writer.h"
#include "signal_names.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

// Every event goes through here (each sink, the store's encoder), so lines
// are written straight into one string, with no intermediate JSON object.

// The kernel's "unset" for loginuid and the audit session id is (u32)-1;
// null says so without a magic number.
void unless_unset(JsonLineWriter& w, std::uint32_t value) {
    if (value == UINT32_MAX)
        w.null();
    else
        w.unsigned_number(value);
}

void optional_string(JsonLineWriter& w, const std::optional<std::string>& value) {
    if (value)
        w.string(*value);
    else
        w.null();
}

void put_process(JsonLineWriter& w, const ProcessInfo& p) {
    w.key("pid"), w.unsigned_number(p.pid);
    w.key("start_ns"), w.unsigned_number(p.start_ns);
    w.key("comm"), w.string(p.comm);
    w.key("ppid"), w.unsigned_number(p.ppid);
    w.key("sid"), w.unsigned_number(p.sid);
    w.key("tty"), optional_string(w, tty_name(p.tty_dev));
    w.key("uid"), w.unsigned_number(p.uid);
    w.key("pgid"), w.unsigned_number(p.pgid);
    w.key("tid"), w.unsigned_number(p.tid);
    w.key("loginuid"), unless_unset(w, p.loginuid);
    w.key("audit_session"), unless_unset(w, p.audit_session);
    w.key("cgroup_id"), w.unsigned_number(p.cgroup_id);
}

void put_body(JsonLineWriter& w, const ForkEvent& e) {
    w.key("parent_start_ns"), w.unsigned_number(e.parent_start_ns);
}

void put_body(JsonLineWriter& w, const ExecEvent& e) {
    w.key("filename"), w.string(e.filename);
    w.key("argv"), w.begin_array();
    for (const auto& arg : e.argv) w.string(arg);
    w.end_array();
    w.key("argv_truncated"), w.boolean(e.argv_truncated);
    w.key("argv_redacted"), w.boolean(e.argv_redacted);
    w.key("old_pid"), w.unsigned_number(e.old_pid);
}

void put_body(JsonLineWriter& w, const ExitEvent& e) {
    const auto code = e.exit_code();
    w.key("exit_code");
    if (code)
        w.signed_number(*code);
    else
        w.null();
    w.key("signal");
    if (code)
        w.null();
    else
        w.string(signal_name(e.term_signal()));
    w.key("core_dumped"), w.boolean(e.core_dumped());
    w.key("utime_ns"), w.unsigned_number(e.utime_ns);
    w.key("stime_ns"), w.unsigned_number(e.stime_ns);
    w.key("orphans"), w.unsigned_number(e.orphans);
    w.key("orphans_overflow"), w.unsigned_number(e.orphans_overflow);
}

void put_body(JsonLineWriter& w, const SignalEvent& e) {
    w.key("signal"), w.string(signal_name(e.sig));
    w.key("sender_pid"), w.unsigned_number(e.sender_pid);
    w.key("sender_start_ns"), w.unsigned_number(e.sender_start_ns);
    w.key("sender_comm"), w.string(e.sender_comm);
    w.key("origin"), w.string(signal_origin_name(e.origin));
    w.key("result"), w.string(signal_result_name(e.result));
    w.key("si_code"), w.signed_number(e.si_code);
    w.key("group"), w.boolean(e.group);
    w.key("no_info"), w.boolean(e.no_info);
    w.key("sender_uid"), w.unsigned_number(e.sender_uid);
    w.key("sender_loginuid"), unless_unset(w, e.sender_loginuid);
}

void put_body(JsonLineWriter& w, const ReparentEvent& e) {
    w.key("old_ppid"), w.unsigned_number(e.old_ppid);
    w.key("old_parent_start_ns"), w.unsigned_number(e.old_parent_start_ns);
    w.key("new_ppid"), w.unsigned_number(e.new_ppid);
    w.key("new_parent_start_ns"), w.unsigned_number(e.new_parent_start_ns);
    w.key("reaper"), w.string(reaper_kind_name(e.reaper));
}

void put_body(JsonLineWriter& w, const SessionEvent& e) {
    w.key("ret"), w.signed_number(e.ret);
    const auto error = syscall_error_name(e.ret);
    w.key("error");
    if (error)
        w.string(*error);
    else
        w.null();
    if (e.call == SessionCall::Setpgid) {
        w.key("target_pid"), w.unsigned_number(e.arg_pid);
        w.key("target_pgid"), w.unsigned_number(e.arg_pgid);
    }
}

void put_body(JsonLineWriter& w, const OutputLostEvent& e) {
    w.key("eio_writes"), w.unsigned_number(e.eio_writes);
    w.key("fd"), w.unsigned_number(e.fd);
}

void put_body(JsonLineWriter& w, const OomVictimEvent& e) {
    w.key("memcg_path"), w.string(e.memcg_path);
    w.key("memcg_path_truncated"), w.boolean(e.memcg_path_truncated);
    w.key("memcg_id"), w.unsigned_number(e.memcg_id);
    w.key("trigger_pid"), w.unsigned_number(e.trigger_pid);
    w.key("trigger_start_ns"), w.unsigned_number(e.trigger_start_ns);
}

void put_body(JsonLineWriter& w, const CgroupMkdirEvent& e) {
    w.key("new_cgroup_id"), w.unsigned_number(e.cgroup_id);
    w.key("new_cgroup_path"), w.string(e.path);
    w.key("new_cgroup_path_truncated"), w.boolean(e.path_truncated);
}

// The subject's keys say it all: the process as last seen alive.
void put_body(JsonLineWriter&, const ExitUnseenEvent&) {}

}  // namespace

std::string_view output_event_name(const Event& event) {
    if (const auto* session = std::get_if<SessionEvent>(&event.body))
        return session_call_name(session->call);
    return event_type_name(event.type());
}

std::string to_json_line(const Event& event, const BootClock& clock) {
    std::string line;
    line.reserve(512);
    JsonLineWriter w(line);
    w.begin_object();
    w.key("event"), w.string(output_event_name(event));
    // The time is digits and punctuation only: no escaping needed.
    w.key("time");
    std::string& time = w.raw_value();
    time += '"';
    clock.append_rfc3339(time, event.ktime_ns);
    time += '"';
    put_process(w, event.subject());
    std::visit([&w](const auto& body) { put_body(w, body); }, event.body);
    w.end_object();
    return line;
}

}  // namespace hupwatch
