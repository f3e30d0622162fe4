#include "events.h"

#include "enum_names.h"

namespace hupwatch {
namespace {

constexpr NameTable<EventType, kEventTypeCount> kEventTypes{{
    {EventType::Fork, "fork"},
    {EventType::Exec, "exec"},
    {EventType::Exit, "exit"},
    {EventType::Signal, "signal"},
    {EventType::Reparent, "reparent"},
    {EventType::Session, "session"},
    {EventType::OutputLost, "output_lost"},
    {EventType::OomVictim, "oom_victim"},
    {EventType::CgroupMkdir, "cgroup_mkdir"},
    {EventType::ExitUnseen, "exit_unseen"},
}};
constexpr NameTable<SignalResult, 6> kSignalResults{{
    {SignalResult::Delivered, "delivered"},
    {SignalResult::Ignored, "ignored"},
    {SignalResult::AlreadyPending, "already_pending"},
    {SignalResult::Overflow, "overflow"},
    {SignalResult::LostInfo, "lost_info"},
    {SignalResult::Unknown, "unknown"},
}};
constexpr NameTable<SignalOrigin, 2> kSignalOrigins{{
    {SignalOrigin::User, "user"},
    {SignalOrigin::Kernel, "kernel"},
}};
constexpr NameTable<ReaperKind, 2> kReaperKinds{{
    {ReaperKind::Init, "init"},
    {ReaperKind::Subreaper, "subreaper"},
}};
constexpr NameTable<SessionCall, 2> kSessionCalls{{
    {SessionCall::Setsid, "setsid"},
    {SessionCall::Setpgid, "setpgid"},
}};

}  // namespace

const ProcessInfo& Event::subject() const {
    return std::visit(
        [](const auto& e) -> const ProcessInfo& {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, ForkEvent>)
                return e.child;
            else if constexpr (std::is_same_v<T, SignalEvent>)
                return e.target;
            else if constexpr (std::is_same_v<T, ReparentEvent>)
                return e.child;
            else
                return e.proc;
        },
        body);
}

ProcessInfo& Event::subject() {
    return const_cast<ProcessInfo&>(std::as_const(*this).subject());
}

std::string_view event_type_name(EventType type) {
    return name_of(kEventTypes, type);
}
std::string_view signal_result_name(SignalResult result) {
    return name_of(kSignalResults, result);
}
std::string_view signal_origin_name(SignalOrigin origin) {
    return name_of(kSignalOrigins, origin);
}
std::string_view reaper_kind_name(ReaperKind kind) {
    return name_of(kReaperKinds, kind);
}
std::string_view session_call_name(SessionCall call) {
    return name_of(kSessionCalls, call);
}

std::optional<EventType> parse_event_type(std::string_view name) {
    return value_of(kEventTypes, name);
}
std::optional<SignalResult> parse_signal_result(std::string_view name) {
    return value_of(kSignalResults, name);
}
std::optional<SignalOrigin> parse_signal_origin(std::string_view name) {
    return value_of(kSignalOrigins, name);
}
std::optional<ReaperKind> parse_reaper_kind(std::string_view name) {
    return value_of(kReaperKinds, name);
}
std::optional<SessionCall> parse_session_call(std::string_view name) {
    return value_of(kSessionCalls, name);
}

}  // namespace hupwatch
