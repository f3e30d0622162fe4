// Sessions inside sessions: `script`, `sudo -i` (Debian's sudoers has
// use_pty), `su -`, a login from a jump host. Each makes a new session on a
// new pty inside a login. When the outer login hangs up, the inner session
// ends as a consequence (script and sudo die or exit, closing the inner
// master), and the inner jobs are orphaned without a hangup of their own:
// the outer disconnect is their cause. Or the inner session is hung up in
// turn (sudo -i: sudo hangs up its pty when its own terminal goes), and its
// own disconnect traces back to the outer one.
#include <fmt/format.h>

#include "disconnect_correlator.h"

namespace hupwatch {
namespace {

// Sessions inside sessions, followed outwards at most this deep.
constexpr int kMaxNesting = 8;

}  // namespace

const DisconnectCorrelator::SessionState* DisconnectCorrelator::enclosing_disconnect(
    const ProcessInfo& child, std::uint32_t parent_sid, std::uint64_t when,
    const ProcessTable& table) const {
    // Only an interactive inner session (with a terminal): a daemon's
    // double fork also leaves orphans in a session of their own.
    auto inner = sessions_.find(parent_sid);
    if (inner == sessions_.end() || inner->second.tty_dev == 0) return nullptr;
    for (const auto* ancestor : original_lineage(child, table)) {
        std::uint32_t sid = ancestor->info.sid;
        if (sid == parent_sid || sid == 0) continue;
        const SessionState* outer = disconnected_session(sid, when);
        if (outer && when - outer->disconnect->ktime_ns <= options_.nested_window_ns) return outer;
    }
    return nullptr;
}

void DisconnectCorrelator::extend_lineage_to(Verdict& v, const ProcessInfo& info, std::uint32_t sid,
                                             const ProcessTable& table) const {
    std::vector<ProcessRef> chain;
    for (const auto* ancestor : original_lineage(info, table)) {
        chain.push_back({ancestor->info.pid, ancestor->info.start_ns, ancestor->info.comm});
        if (ancestor->info.pid == sid) {
            v.lineage = std::move(chain);
            return;
        }
    }
}

const DisconnectCorrelator::SessionState& DisconnectCorrelator::root_disconnect(
    const SessionState& session) const {
    const SessionState* current = &session;
    for (int depth = 0; depth < kMaxNesting && current->enclosing_sid; ++depth) {
        auto outer = sessions_.find(*current->enclosing_sid);
        if (outer == sessions_.end() || !outer->second.disconnect ||
            outer->second.disconnect->ktime_ns > current->disconnect->ktime_ns)
            break;  // forgotten, or a new session under a reused sid
        current = &outer->second;
    }
    return *current;
}

void DisconnectCorrelator::add_traced_disconnect(Verdict& v, const SessionState& session,
                                                 const ProcessInfo& info, const ProcessTable& table,
                                                 bool enclosing) const {
    const SessionState& root = root_disconnect(session);
    add_disconnect_evidence(v, root);
    if (&root != &session) {
        const auto& d = *session.disconnect;
        v.evidence.push_back({d.ktime_ns, "disconnect",
                              fmt::format("inner session {} hung up by {} {} as a consequence",
                                          d.sid, d.hung_up_by_comm, d.hung_up_by_pid)});
    }
    if (enclosing || &root != &session) extend_lineage_to(v, info, root.disconnect->sid, table);
}

}  // namespace hupwatch
