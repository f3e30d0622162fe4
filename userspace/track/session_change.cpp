#include "session_change.h"

namespace hupwatch {

std::optional<SessionEvent> derive_session_change(const ProcessInfo& before,
                                                  const ProcessInfo& now) {
    // An event that could not read the ids (0) tells nothing. But sid 0 is
    // also a real session: init's, inherited by everything on a host whose
    // PID 1 never calls setsid(). Leaving it can only be a setsid(), which
    // makes the caller its session's leader (sid == pid), so that is the
    // change we take from 0.
    bool left_init_session = before.sid == 0 && now.sid != 0 && now.sid == now.pid;
    if (now.sid != 0 && now.sid != before.sid && (before.sid != 0 || left_init_session)) {
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
