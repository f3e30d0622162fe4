// A synthetic incident for `hupwatch report`, written through the store's
// own writer: alice's SSH session 815 on pts/3 hangs up; its job migrate.sh
// 901 (with `children` short-lived psql children folded away) is killed by
// the SIGHUP bash forwards, its nohup'd sleep 902 is orphaned to init and
// loses its output; bob's session 1000 on pts/4 keeps a job at risk.
// Shared by the page model's unit tests and the 10k-process render check.
#pragma once

#include <sqlite3.h>

#include <string>

#include "sqlite_store.h"
#include "store_fixture.h"

namespace hupwatch::test {

struct Incident {
    std::int64_t offset_ns = 0;  // wall = boot + offset
    std::int64_t since_wall_ns = 0;
    std::int64_t until_wall_ns = 0;
};

inline Verdict verdict_on(const ProcessInfo& p, VerdictKind kind, std::uint64_t at_s) {
    Verdict v;
    v.kind = kind;
    v.ktime_ns = at_s * kSec;
    v.process = {p.pid, p.start_ns, p.comm};
    v.ppid = p.ppid;
    v.uid = p.uid;
    v.user = "alice";
    v.sid = p.sid;
    v.tty_dev = p.tty_dev;
    v.lineage = {{815, 2 * kSec, "bash"}};
    return v;
}

inline void write_session_815(EventSink& s, int children, int jobs) {
    auto init = proc(1, 0, 0, 1, "systemd", 0);
    auto sshd = proc(812, 1, 1, 812, "sshd", 0);
    auto bash = proc(815, 2, 812, 815, "bash");
    sshd.tty_dev = init.tty_dev = 0;
    s.on_event(fork_of(bash, 1));
    for (int j = 0; j < jobs; ++j) {
        const std::uint32_t pid = j == 0 ? 901 : 5000 + static_cast<std::uint32_t>(j);
        auto job = proc(pid, 110, 815, 815, "migrate.sh");
        s.on_event(fork_of(job, 2));
        s.on_event(exec_of(job, 110, {"/bin/bash", "./migrate.sh", "--password=***"}));
        for (int i = 0; i < children / jobs; ++i) {
            const auto n = static_cast<std::uint32_t>(j * (children / jobs) + i);
            auto child = proc(20000 + n, 0, job.pid, 815, "psql");
            child.start_ns = 111 * kSec + n * (700 * kSec / static_cast<std::uint64_t>(children));
            child.pgid = job.pid;
            s.on_event(Event{child.start_ns, ForkEvent{child, job.start_ns}});
            auto exit = exit_of(child, 0, 0);
            exit.ktime_ns = child.start_ns + kSec / 20;
            s.on_event(exit);
        }
    }
    auto job = proc(901, 110, 815, 815, "migrate.sh");
    auto nohup = proc(902, 120, 815, 815, "sleep");
    s.on_event(fork_of(nohup, 2));
    s.on_event(exec_of(nohup, 120, {"sleep", "3600"}));
    auto d = alices_disconnect();
    s.on_event(signal_of(bash, 899, sshd, SignalOrigin::Kernel));
    s.on_finding(d);
    s.on_event(signal_of(job, 900, bash, SignalOrigin::User));
    s.on_event(exit_of(job, 900, 1));
    Verdict killed = verdict_on(job, VerdictKind::KilledByDisconnect, 900);
    killed.argv = {"/bin/bash", "./migrate.sh", "--password=***"};
    killed.signal = 1;
    killed.run_time_ns = 790 * kSec;
    killed.via = ProcessRef{815, 2 * kSec, "bash"};
    killed.disconnect_ktime_ns = 899 * kSec;
    killed.disconnect_sid = 815;
    killed.evidence = {{900 * kSec, "signal", "bash 815 forwarded SIGHUP"}};
    s.on_finding(killed);
    auto hup = signal_of(nohup, 900, bash, SignalOrigin::User);
    std::get<SignalEvent>(hup.body).result = SignalResult::Ignored;
    s.on_event(hup);
    s.on_event(exit_of(bash, 901, 1));
    s.on_event(reparent_of(nohup, 901, init));
    Verdict orphaned = verdict_on(nohup, VerdictKind::Orphaned, 901);
    orphaned.argv = {"sleep", "3600"};
    orphaned.cause = OrphanCause::Disconnect;
    orphaned.survived_because = SurvivalReason::SighupIgnored;
    orphaned.new_parent = ProcessRef{1, 0, "systemd"};
    orphaned.reaper = ReaperKind::Init;
    s.on_finding(orphaned);
    OutputLostEvent lost;
    lost.proc = nohup;
    lost.eio_writes = 1;
    s.on_event(Event{905 * kSec, lost});
}

inline void write_session_1000(EventSink& s) {
    auto bash = proc(1000, 150, 812, 1000, "bash", 1001);
    auto job = proc(1001, 200, 1000, 1000, "sleep", 1001);
    bash.tty_dev = job.tty_dev = kPts3 + 1;
    s.on_event(fork_of(bash, 1));
    s.on_event(fork_of(job, 150));
    // An argument that would close the page's script if it were not escaped.
    s.on_event(exec_of(job, 200, {"sleep", "9999", "</script><script>alert(1)</script>"}));
}

// Writes what `write` writes to a new store at `path`; the window is boot 0
// to 1000 s. The run's start is put back to the synthetic clock's boot, so
// the run covers its events (the writer stamps its start with the real clock).
template <typename Write>
Incident write_store(const std::string& path, Write write) {
    Incident incident;
    incident.offset_ns = wall_now_ns() - 2000 * kSec;
    incident.since_wall_ns = incident.offset_ns;
    incident.until_wall_ns = incident.offset_ns + 1000 * kSec;
    StoreOptions options;
    options.path = path;
    options.version = "test";
    options.retention_ns = 0;
    options.max_size = 0;
    options.queue_capacity = 1 << 20;
    std::string error;
    auto store = SqliteStore::open(options, error, BootClock(incident.offset_ns));
    if (!store) return {};
    write(static_cast<EventSink&>(*store));
    store->close();
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
        const std::string sql =
            "UPDATE runs SET started_wall_ns = " + std::to_string(incident.offset_ns);
        sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    }
    sqlite3_close(db);
    return incident;
}

// The incident above.
inline Incident write_incident(const std::string& path, int children, int jobs = 1) {
    return write_store(path, [&](EventSink& s) {
        write_session_815(s, children, jobs);
        write_session_1000(s);
    });
}

}  // namespace hupwatch::test
