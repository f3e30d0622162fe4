#include "decoder.h"

#include <fmt/format.h>

#include <cstring>

#include "hupwatch_events.h"

namespace hupwatch {
namespace {

// Bounded copy of a kernel char array that may lack its NUL.
std::string fixed_string(const char* data, std::size_t capacity) {
    return std::string(data, strnlen(data, capacity));
}

ProcessInfo to_process(const hw_process& p) {
    ProcessInfo out;
    out.pid = p.pid;
    out.tid = p.tid;
    out.ppid = p.ppid;
    out.pgid = p.pgid;
    out.sid = p.sid;
    out.uid = p.uid;
    out.loginuid = p.loginuid;
    out.audit_session = p.audit_session;
    out.tty_dev = p.tty_dev;
    out.start_ns = p.start_ns;
    out.cgroup_id = p.cgroup_id;
    out.comm = fixed_string(p.comm, sizeof(p.comm));
    return out;
}

SignalResult to_result(std::int32_t raw) {
    switch (raw) {
        case HW_SIG_DELIVERED:
            return SignalResult::Delivered;
        case HW_SIG_IGNORED:
            return SignalResult::Ignored;
        case HW_SIG_ALREADY_PENDING:
            return SignalResult::AlreadyPending;
        case HW_SIG_OVERFLOW_FAIL:
            return SignalResult::Overflow;
        case HW_SIG_LOSE_INFO:
            return SignalResult::LostInfo;
        default:
            return SignalResult::Unknown;
    }
}

template <typename Raw>
const Raw* view_as(std::span<const std::byte> record, std::string& error) {
    if (record.size() < sizeof(Raw)) {
        error = fmt::format("record of {} bytes is shorter than its type ({} bytes)", record.size(),
                            sizeof(Raw));
        return nullptr;
    }
    // Ring-buffer records are 8-byte aligned, as every struct here requires.
    return reinterpret_cast<const Raw*>(record.data());
}

EventBody decode_body(const hw_fork_event& r) {
    return ForkEvent{to_process(r.child), r.parent_start_ns};
}

EventBody decode_body(const hw_exec_event& r) {
    ExecEvent e;
    e.proc = to_process(r.proc);
    e.old_pid = r.old_pid;
    e.filename = std::string(r.filename, std::min<std::size_t>(r.filename_len, sizeof(r.filename)));
    e.argv =
        split_argv(std::string_view(r.args, std::min<std::size_t>(r.args_len, sizeof(r.args))));
    e.argv_truncated = r.args_truncated != 0;
    return e;
}

EventBody decode_body(const hw_exit_event& r) {
    return ExitEvent{to_process(r.proc), r.exit_code, r.orphans,
                     r.orphans_overflow, r.utime_ns,  r.stime_ns};
}

EventBody decode_body(const hw_signal_event& r) {
    SignalEvent e;
    e.target = to_process(r.target);
    e.sender_pid = r.sender_pid;
    e.sender_start_ns = r.sender_start_ns;
    e.sender_comm = fixed_string(r.sender_comm, sizeof(r.sender_comm));
    e.sig = r.sig;
    e.si_code = r.si_code;
    e.origin = r.origin == HW_ORIGIN_KERNEL ? SignalOrigin::Kernel : SignalOrigin::User;
    e.result = to_result(r.result);
    e.group = r.group != 0;
    e.no_info = r.no_info != 0;
    e.sender_uid = r.sender_uid;
    e.sender_loginuid = r.sender_loginuid;
    switch (r.disposition) {
        case HW_DISP_DEFAULT:
            e.disposition = SignalDisposition::Default;
            break;
        case HW_DISP_IGNORED:
            e.disposition = SignalDisposition::Ignored;
            break;
        case HW_DISP_HANDLED:
            e.disposition = SignalDisposition::Handled;
            break;
        default:
            e.disposition = SignalDisposition::Unknown;
    }
    return e;
}

EventBody decode_body(const hw_reparent_event& r) {
    return ReparentEvent{
        to_process(r.child),
        r.old_ppid,
        r.old_parent_start_ns,
        r.new_ppid,
        r.new_parent_start_ns,
        r.reaper == HW_REAPER_SUBREAPER ? ReaperKind::Subreaper : ReaperKind::Init};
}

EventBody decode_body(const hw_session_event& r) {
    return SessionEvent{to_process(r.proc),
                        r.call == HW_CALL_SETSID ? SessionCall::Setsid : SessionCall::Setpgid,
                        r.ret, r.arg_pid, r.arg_pgid};
}

EventBody decode_body(const hw_output_lost_event& r) {
    return OutputLostEvent{to_process(r.proc), r.eio_writes, r.fd};
}

EventBody decode_body(const hw_oom_victim_event& r) {
    OomVictimEvent e;
    e.proc = to_process(r.victim);
    e.trigger_pid = r.trigger_pid;
    e.trigger_start_ns = r.trigger_start_ns;
    e.memcg_id = r.memcg_id;
    e.memcg_path = std::string(
        r.memcg_path,
        strnlen(r.memcg_path, std::min<std::size_t>(r.memcg_path_len, sizeof(r.memcg_path))));
    e.memcg_path_truncated = r.memcg_path_truncated != 0;
    return e;
}

EventBody decode_body(const hw_cgroup_mkdir_event& r) {
    CgroupMkdirEvent e;
    e.proc = to_process(r.proc);
    e.cgroup_id = r.cgroup_id;
    e.path =
        std::string(r.path, strnlen(r.path, std::min<std::size_t>(r.path_len, sizeof(r.path))));
    e.path_truncated = r.path_truncated != 0;
    return e;
}

template <typename Raw>
DecodeResult decode_as(std::span<const std::byte> record) {
    std::string error;
    const Raw* raw = view_as<Raw>(record, error);
    if (!raw) return DecodeError{error};
    if (raw->hdr.size != sizeof(Raw))
        return DecodeError{fmt::format("record type {} claims {} bytes, expected {}", raw->hdr.type,
                                       raw->hdr.size, sizeof(Raw))};
    return Event{raw->hdr.ktime_ns, decode_body(*raw)};
}

}  // namespace

std::vector<std::string> split_argv(std::string_view args) {
    std::vector<std::string> argv;
    while (!args.empty()) {
        auto end = args.find('\0');
        argv.emplace_back(args.substr(0, end));
        if (end == std::string_view::npos) break;
        args.remove_prefix(end + 1);
    }
    return argv;
}

DecodeResult decode_record(std::span<const std::byte> record) {
    if (record.size() < sizeof(hw_header))
        return DecodeError{fmt::format("record of {} bytes has no header", record.size())};
    hw_header hdr;
    std::memcpy(&hdr, record.data(), sizeof(hdr));
    switch (hdr.type) {
        case HW_EV_FORK:
            return decode_as<hw_fork_event>(record);
        case HW_EV_EXEC:
            return decode_as<hw_exec_event>(record);
        case HW_EV_EXIT:
            return decode_as<hw_exit_event>(record);
        case HW_EV_SIGNAL:
            return decode_as<hw_signal_event>(record);
        case HW_EV_REPARENT:
            return decode_as<hw_reparent_event>(record);
        case HW_EV_SESSION:
            return decode_as<hw_session_event>(record);
        case HW_EV_OUTPUT_LOST:
            return decode_as<hw_output_lost_event>(record);
        case HW_EV_OOM_VICTIM:
            return decode_as<hw_oom_victim_event>(record);
        case HW_EV_CGROUP_MKDIR:
            return decode_as<hw_cgroup_mkdir_event>(record);
        default:
            return DecodeError{fmt::format("unknown record type {}", hdr.type)};
    }
}

}  // namespace hupwatch
