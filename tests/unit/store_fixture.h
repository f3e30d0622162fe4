// Synthetic events for the store tests: a login session with jobs, built as
// the decoder would, on a fixed clock (wall = boot + kOffset).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "events.h"
#include "findings.h"
#include "sqlite_store.h"

namespace hupwatch::test {

constexpr std::int64_t kSec = 1'000'000'000;
// Boot ns 0 is 2026-11-28T13:00:00Z.
constexpr std::int64_t kOffset = 1795870800LL * kSec;
constexpr std::uint32_t kPts3 = (136u << 20) | 3;

inline ProcessInfo proc(std::uint32_t pid, std::uint64_t start_s, std::uint32_t ppid,
                        std::uint32_t sid, const std::string& comm, std::uint32_t uid = 1000) {
    ProcessInfo p;
    p.pid = p.tid = pid;
    p.start_ns = start_s * kSec;
    p.ppid = ppid;
    p.pgid = pid;
    p.sid = sid;
    p.uid = uid;
    p.tty_dev = kPts3;
    p.comm = comm;
    return p;
}

inline Event fork_of(const ProcessInfo& child, std::uint64_t parent_start_s) {
    return Event{child.start_ns, ForkEvent{child, parent_start_s * kSec}};
}
inline Event exec_of(const ProcessInfo& p, std::uint64_t at_s, std::vector<std::string> argv) {
    ExecEvent e;
    e.proc = p;
    e.old_pid = p.pid;
    e.filename = argv.empty() ? "" : argv[0];
    e.argv = std::move(argv);
    return Event{at_s * kSec, e};
}
inline Event exit_of(const ProcessInfo& p, std::uint64_t at_s, std::int32_t status) {
    ExitEvent e;
    e.proc = p;
    e.raw_status = status;
    return Event{at_s * kSec, e};
}
inline Event signal_of(const ProcessInfo& target, std::uint64_t at_s, const ProcessInfo& sender,
                       SignalOrigin origin) {
    SignalEvent s;
    s.target = target;
    s.sender_pid = sender.pid;
    s.sender_start_ns = sender.start_ns;
    s.sender_comm = sender.comm;
    s.sig = 1;
    s.origin = origin;
    return Event{at_s * kSec, s};
}
inline Event reparent_of(const ProcessInfo& child, std::uint64_t at_s,
                         const ProcessInfo& new_parent) {
    ReparentEvent r;
    r.child = child;
    r.old_ppid = child.ppid;
    r.new_ppid = new_parent.pid;
    r.new_parent_start_ns = new_parent.start_ns;
    return Event{at_s * kSec, r};
}

// alice's session 815 on pts/3 (leader bash 815, started at 2 s) hung up by
// sshd 812 at 899 s: the disconnect the store's and the report's stories
// are built around.
inline DisconnectFinding alices_disconnect() {
    DisconnectFinding d;
    d.ktime_ns = 899 * kSec;
    d.sid = 815;
    d.ppid = 812;
    d.tty_dev = kPts3;
    d.leader = {815, 2 * kSec, "bash"};
    d.uid = 1000;
    d.user = "alice";
    d.hung_up_by_pid = 812;
    d.hung_up_by_comm = "sshd";
    return d;
}

inline std::string temp_db(const std::string& name) {
    auto dir =
        std::filesystem::temp_directory_path() / ("hupwatch-store-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto path = dir / name;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
    return path.string();
}

// A test store at path: every row kept (no retention).
inline StoreOptions test_store_options(const std::string& path) {
    StoreOptions options;
    options.path = path;
    options.version = "test";
    options.retention_ns = 0;
    return options;
}

}  // namespace hupwatch::test
