#include "events.h"

namespace hupwatch {

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

std::string_view event_type_name(EventType type) {
    switch (type) {
        case EventType::Fork:
            return "fork";
        case EventType::Exec:
            return "exec";
        case EventType::Exit:
            return "exit";
        case EventType::Signal:
            return "signal";
        case EventType::Reparent:
            return "reparent";
        case EventType::Session:
            return "session";
        case EventType::OutputLost:
            return "output_lost";
        case EventType::OomVictim:
            return "oom_victim";
    }
    return "unknown";
}

std::string_view signal_result_name(SignalResult result) {
    switch (result) {
        case SignalResult::Delivered:
            return "delivered";
        case SignalResult::Ignored:
            return "ignored";
        case SignalResult::AlreadyPending:
            return "already_pending";
        case SignalResult::Overflow:
            return "overflow";
        case SignalResult::LostInfo:
            return "lost_info";
        case SignalResult::Unknown:
            break;
    }
    return "unknown";
}

std::string_view signal_origin_name(SignalOrigin origin) {
    return origin == SignalOrigin::Kernel ? "kernel" : "user";
}

std::string_view reaper_kind_name(ReaperKind kind) {
    return kind == ReaperKind::Subreaper ? "subreaper" : "init";
}

std::string_view session_call_name(SessionCall call) {
    return call == SessionCall::Setsid ? "setsid" : "setpgid";
}

}  // namespace hupwatch
