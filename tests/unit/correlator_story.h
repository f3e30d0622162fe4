// Test support for the correlator: a host's story built event by event and
// applied to a table and the correlator as the live path does.
#pragma once

#include <csignal>
#include <string>
#include <vector>

#include "disconnect_correlator.h"
#include "process_table.h"

namespace hupwatch::test {

constexpr std::uint64_t kSec = 1'000'000'000ULL;
constexpr std::uint32_t kPts3 = (136u << 20) | 3;
constexpr std::uint32_t kPts4 = (136u << 20) | 4;

// Builds a host's story event by event, applying each to a table and the
// correlator as the live path does, and collects the findings.
class Story {
   public:
    explicit Story(CorrelatorOptions options = {}, HostProbe* probe = nullptr)
        : correlator_(options, probe) {}

    ProcessInfo proc(std::uint32_t pid, std::uint64_t start, std::uint32_t ppid, std::uint32_t sid,
                     std::uint32_t tty, const std::string& comm) {
        ProcessInfo p;
        p.pid = p.tid = pid;
        p.start_ns = start;
        p.ppid = ppid;
        p.pgid = pid;
        p.sid = sid;
        p.tty_dev = tty;
        p.uid = 1000;
        p.comm = comm;
        return p;
    }

    void at(std::uint64_t t) { now_ = t; }
    void feed(EventBody body) {
        Event e{now_, std::move(body)};
        table_.apply(e);
        for (auto& f : correlator_.on_event(e, table_)) findings_.push_back(std::move(f));
    }
    void fork(const ProcessInfo& child, std::uint64_t parent_start) {
        feed(ForkEvent{child, parent_start});
    }
    void exec(const ProcessInfo& p, std::vector<std::string> argv) {
        ExecEvent e;
        e.proc = p;
        e.filename = "/usr/bin/" + argv[0];
        e.argv = std::move(argv);
        feed(e);
    }
    void sighup(const ProcessInfo& target, const ProcessInfo& sender, SignalOrigin origin,
                SignalResult result, SignalDisposition disposition = SignalDisposition::Unknown) {
        SignalEvent s;
        s.target = target;
        s.sender_pid = sender.pid;
        s.sender_start_ns = sender.start_ns;
        s.sender_comm = sender.comm;
        s.sig = SIGHUP;
        s.origin = origin;
        s.result = result;
        s.group = true;
        s.disposition = disposition;
        feed(s);
    }
    void exit_signal(const ProcessInfo& p, int sig) { feed(ExitEvent{p, sig, 0, 0, 0, 0}); }
    void exit_code(const ProcessInfo& p, int code) { feed(ExitEvent{p, code << 8, 0, 0, 0, 0}); }
    void reparent(ProcessInfo child, const ProcessInfo& old_parent, std::uint32_t new_ppid,
                  std::uint64_t new_start, ReaperKind kind = ReaperKind::Init) {
        child.ppid = old_parent.pid;
        feed(ReparentEvent{child, old_parent.pid, old_parent.start_ns, new_ppid, new_start, kind});
    }
    void tick(std::uint64_t t) {
        now_ = t;
        for (auto& f : correlator_.tick(t, table_)) findings_.push_back(std::move(f));
    }

    std::vector<Verdict> verdicts_for(std::uint32_t pid) const {
        std::vector<Verdict> out;
        for (const auto& f : findings_)
            if (auto* v = std::get_if<Verdict>(&f); v && v->process.pid == pid) out.push_back(*v);
        return out;
    }
    std::vector<DisconnectFinding> disconnects() const {
        std::vector<DisconnectFinding> out;
        for (const auto& f : findings_)
            if (auto* d = std::get_if<DisconnectFinding>(&f)) out.push_back(*d);
        return out;
    }
    std::vector<SessionEndFinding> session_ends() const {
        std::vector<SessionEndFinding> out;
        for (const auto& f : findings_)
            if (auto* d = std::get_if<SessionEndFinding>(&f)) out.push_back(*d);
        return out;
    }
    ProcessTable& table() { return table_; }
    DisconnectCorrelator& correlator() { return correlator_; }

   private:
    ProcessTable table_;
    DisconnectCorrelator correlator_;
    std::vector<Finding> findings_;
    std::uint64_t now_ = 0;
};

// sshd 800 -> bash 900 (session leader on pts/3), as an SSH login.
struct Login {
    Story& s;
    ProcessInfo sshd, bash;
    explicit Login(Story& story) : s(story) {
        sshd = s.proc(800, 1 * kSec, 1, 800, 0, "sshd");
        bash = s.proc(900, 2 * kSec, 800, 900, kPts3, "bash");
        s.at(1 * kSec);
        s.fork(sshd, kSec / 2);
        s.at(2 * kSec);
        s.fork(bash, sshd.start_ns);
    }
    ProcessInfo job(std::uint32_t pid, std::uint64_t start, const std::string& comm) {
        auto p = s.proc(pid, start, bash.pid, bash.sid, kPts3, comm);
        s.at(start);
        s.fork(p, bash.start_ns);
        s.exec(p, {comm, "--job", std::to_string(pid)});
        return p;
    }
    // sshd closes the pty: the kernel's SIGHUP to the leader (tty already cleared).
    void hang_up(std::uint64_t t) {
        s.at(t);
        auto leader = bash;
        leader.tty_dev = 0;
        s.sighup(leader, sshd, SignalOrigin::Kernel, SignalResult::Delivered);
    }
};

}  // namespace hupwatch::test
