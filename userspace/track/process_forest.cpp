#include "process_forest.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "tty_names.h"

namespace hupwatch {
namespace {

// Deeper than any real process tree; bounds the walk if a pid race or a
// broken fake tree makes the ppid links loop.
constexpr std::size_t kMaxDepth = 256;

using SnapshotIndex = std::unordered_map<std::uint32_t, const ProcSnapshot*>;

const ProcSnapshot* parent_of(const SnapshotIndex& by_pid, const ProcessInfo& info) {
    if (info.ppid == 0 || info.ppid == info.pid) return nullptr;
    auto it = by_pid.find(info.ppid);
    return it == by_pid.end() ? nullptr : it->second;
}

std::vector<std::string> ancestor_comms(const SnapshotIndex& by_pid, const ProcessInfo& info) {
    std::vector<std::string> comms;
    for (const ProcSnapshot* p = parent_of(by_pid, info); p && comms.size() < kMaxDepth;
         p = parent_of(by_pid, p->info))
        comms.push_back(p->info.comm);
    return comms;
}

class NodeBuilder {
   public:
    NodeBuilder(const SnapshotIndex& by_pid, HostProbe& probe, std::uint64_t now_ns)
        : by_pid_(by_pid), probe_(probe), now_ns_(now_ns) {
        for (const auto& [pid, snap] : by_pid_)
            if (snap->info.tty_dev != 0 && snap->info.sid != 0)
                interactive_sids_.insert(snap->info.sid);
    }

    bool interactive(std::uint32_t sid) const { return interactive_sids_.contains(sid); }

    ProcessNode build(const ProcSnapshot& snap) {
        const ProcessInfo& info = snap.info;
        ProcessNode node;
        node.info = info;
        node.argv = snap.argv;
        node.user = user(info.uid);
        node.tty = tty_name(info.tty_dev);
        node.run_time_ns = now_ns_ > info.start_ns ? now_ns_ - info.start_ns : 0;

        RiskFacts facts;
        facts.kernel_thread = is_kernel_thread(info);
        facts.is_init = info.pid == 1;
        facts.has_tty = info.tty_dev != 0;
        facts.in_interactive_session = interactive(info.sid);
        facts.is_session_leader = info.pid == info.sid;
        facts.is_shell = is_shell_comm(info.comm);
        const ProcSnapshot* parent = parent_of(by_pid_, info);
        facts.orphaned = !facts.kernel_thread && !facts.is_session_leader && parent &&
                         parent->info.sid != info.sid;

        if (!facts.kernel_thread) {
            node.cgroup = probe_.cgroup_path(info.pid);
            node.supervision =
                classify_supervision(node.cgroup.value_or(""), ancestor_comms(by_pid_, info));
            if (auto masks = probe_.signal_masks(info.pid))
                node.sighup = sighup_disposition(masks->ignored, masks->caught);
            if (auto outputs = probe_.output_targets(info.pid)) {
                node.output_to_tty = output_to_tty(outputs->stdout_path, outputs->stderr_path);
                node.output_lost = output_lost(outputs->stdout_path, outputs->stderr_path);
            }
        }
        facts.supervision = node.supervision;
        // Unknown counts as default: a job is called safe only on evidence.
        facts.sighup = node.sighup.value_or(SighupDisposition::Default);
        node.risk = assess_risk(facts);
        return node;
    }

   private:
    const std::string& user(std::uint32_t uid) {
        auto it = users_.find(uid);
        if (it == users_.end()) it = users_.emplace(uid, probe_.user_name(uid)).first;
        return it->second;
    }

    const SnapshotIndex& by_pid_;
    HostProbe& probe_;
    std::uint64_t now_ns_;
    std::set<std::uint32_t> interactive_sids_;
    std::map<std::uint32_t, std::string> users_;
};

// The default view: members of interactive sessions, orphans, and processes
// that left an interactive login (setsid, daemonizing) but keep its audit
// session id; then their descendants, and their ancestors below init for
// context (sshd, tmux: server).
std::set<std::uint32_t> select_interactive(const std::vector<ProcessNode>& nodes,
                                           const NodeBuilder& builder) {
    std::set<std::uint32_t> login_audit_sessions;
    for (const auto& n : nodes)
        if (builder.interactive(n.info.sid) && n.info.audit_session != UINT32_MAX &&
            n.info.audit_session != 0)
            login_audit_sessions.insert(n.info.audit_session);

    std::unordered_map<std::uint32_t, const ProcessNode*> by_pid;
    std::multimap<std::uint32_t, std::uint32_t> children;  // ppid -> pid
    for (const auto& n : nodes) {
        by_pid.emplace(n.info.pid, &n);
        children.emplace(n.info.ppid, n.info.pid);
    }

    std::vector<std::uint32_t> todo;
    for (const auto& n : nodes)
        if (builder.interactive(n.info.sid) || n.risk.risk == Risk::Orphaned ||
            login_audit_sessions.contains(n.info.audit_session))
            todo.push_back(n.info.pid);

    std::set<std::uint32_t> selected;
    while (!todo.empty()) {
        std::uint32_t pid = todo.back();
        todo.pop_back();
        if (!selected.insert(pid).second) continue;
        auto [first, last] = children.equal_range(pid);
        for (auto it = first; it != last; ++it) todo.push_back(it->second);
    }

    std::set<std::uint32_t> shown = selected;
    for (std::uint32_t pid : selected) {
        const ProcessNode* n = by_pid.at(pid);
        for (std::size_t depth = 0; depth < kMaxDepth; ++depth) {
            auto it = by_pid.find(n->info.ppid);
            if (it == by_pid.end() || it->second->info.pid <= 2 || it->second->info.pid == pid)
                break;
            n = it->second;
            if (!shown.insert(n->info.pid).second) break;
        }
    }
    return shown;
}

// Links children to parents; a process whose parent is not in the forest is
// a root. A ppid loop (pids reused between reads) would hide its members from
// every root, so the lowest pid of such a loop becomes a root too.
void link(ProcessForest& forest) {
    std::unordered_map<std::uint32_t, std::size_t> index;
    for (std::size_t i = 0; i < forest.nodes.size(); ++i)
        index.emplace(forest.nodes[i].info.pid, i);

    std::vector<std::size_t> parent(forest.nodes.size(), SIZE_MAX);
    for (std::size_t i = 0; i < forest.nodes.size(); ++i) {
        const auto& info = forest.nodes[i].info;
        auto it = info.ppid == info.pid ? index.end() : index.find(info.ppid);
        if (it == index.end()) {
            forest.roots.push_back(i);
        } else {
            parent[i] = it->second;
            forest.nodes[it->second].children.push_back(i);  // nodes are by pid: children too
        }
    }

    std::vector<bool> reached(forest.nodes.size(), false);
    auto mark = [&](std::size_t root) {
        std::vector<std::size_t> todo{root};
        while (!todo.empty()) {
            std::size_t i = todo.back();
            todo.pop_back();
            if (reached[i]) continue;
            reached[i] = true;
            for (std::size_t c : forest.nodes[i].children) todo.push_back(c);
        }
    };
    for (std::size_t r : forest.roots) mark(r);
    for (std::size_t i = 0; i < forest.nodes.size(); ++i) {
        if (reached[i]) continue;
        auto& siblings = forest.nodes[parent[i]].children;
        siblings.erase(std::find(siblings.begin(), siblings.end(), i));
        forest.roots.push_back(i);
        mark(i);
    }
    std::sort(forest.roots.begin(), forest.roots.end());
}

}  // namespace

const ProcessNode* ProcessForest::find(std::uint32_t pid) const {
    auto it =
        std::lower_bound(nodes.begin(), nodes.end(), pid,
                         [](const ProcessNode& n, std::uint32_t p) { return n.info.pid < p; });
    return it != nodes.end() && it->info.pid == pid ? &*it : nullptr;
}

ProcessForest build_forest(const std::vector<ProcSnapshot>& snapshots, HostProbe& probe,
                           const ForestOptions& options) {
    SnapshotIndex by_pid;
    for (const auto& snap : snapshots) by_pid.emplace(snap.info.pid, &snap);

    std::vector<const ProcSnapshot*> ordered;
    for (const auto& [pid, snap] : by_pid) ordered.push_back(snap);
    std::sort(ordered.begin(), ordered.end(),
              [](const auto* a, const auto* b) { return a->info.pid < b->info.pid; });

    NodeBuilder builder(by_pid, probe, options.now_ns);
    std::vector<ProcessNode> all;
    all.reserve(ordered.size());
    for (const auto* snap : ordered) all.push_back(builder.build(*snap));

    ProcessForest forest;
    if (options.all) {
        forest.nodes = std::move(all);
    } else {
        auto shown = select_interactive(all, builder);
        for (auto& n : all)
            if (shown.contains(n.info.pid)) forest.nodes.push_back(std::move(n));
    }
    link(forest);
    return forest;
}

}  // namespace hupwatch
