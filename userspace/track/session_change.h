// setsid/setpgid without a syscall hook: every event carries the process's
// sid and pgid, so a known process seen with new ones has changed session or
// group since its last sighting. Pure: two sightings in, an event out.
#pragma once

#include <optional>

#include "events.h"

namespace hupwatch {

// The change from `before` to `now` (the same process) as a SessionEvent:
// setsid when the sid changed (ret: the new sid), else setpgid when the
// pgid changed (ret 0; arg_pid: the process, arg_pgid: its new group).
// nullopt when neither changed. Failed calls change nothing and are not seen.
std::optional<SessionEvent> derive_session_change(const ProcessInfo& before,
                                                  const ProcessInfo& now);

}  // namespace hupwatch
