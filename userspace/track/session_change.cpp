#include "session_change.h"

namespace hupwatch {

std::optional<SessionEvent> derive_session_change(const ProcessInfo& before,
                                                  const ProcessInfo& now) {
    // An event that could not read the ids (0) tells nothing.
    if (now.sid != 0 && before.sid != 0 && now.sid != before.sid) {
        SessionEvent e;
        e.proc = now;
        e.call = SessionCall::Setsid;
        e.ret = now.sid;
        return e;
    }
    if (now.pgid != 0 && before.pgid != 0 && now.pgid != before.pgid) {
        SessionEvent e;
        e.proc = now;
        e.call = SessionCall::Setpgid;
        e.ret = 0;
        e.arg_pid = now.pid;
        e.arg_pgid = now.pgid;
        return e;
    }
    return std::nullopt;
}

}  // namespace hupwatch
