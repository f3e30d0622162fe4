#include "store_row_writer.h"

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "event_json.h"
#include "store_schema.h"
#include "store_sql.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

void bind_tty(sqlite3_stmt* stmt, int index, std::uint32_t dev) {
    if (auto name = tty_name(dev))
        bind_text(stmt, index, *name);
    else
        sqlite3_bind_null(stmt, index);
}

// The event's other process, for joins without parsing JSON: fork's parent,
// signal's sender, reparent's new parent.
std::optional<std::pair<std::uint32_t, std::uint64_t>> peer_of(const Event& event) {
    if (auto* f = std::get_if<ForkEvent>(&event.body)) return {{f->child.ppid, f->parent_start_ns}};
    if (auto* s = std::get_if<SignalEvent>(&event.body))
        return {{s->sender_pid, s->sender_start_ns}};
    if (auto* r = std::get_if<ReparentEvent>(&event.body))
        return {{r->new_ppid, r->new_parent_start_ns}};
    return std::nullopt;
}

// The finding's indexed columns.
struct FindingColumns {
    std::uint64_t ktime_ns;
    const char* kind;
    std::optional<std::string_view> verdict;
    const ProcessRef* process;
    std::uint32_t sid, uid;
};

FindingColumns columns_of(const Finding& finding) {
    return std::visit(
        [](const auto& f) -> FindingColumns {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, DisconnectFinding>)
                return {f.ktime_ns, "disconnect", std::nullopt, &f.leader, f.sid, f.uid};
            else if constexpr (std::is_same_v<T, SessionEndFinding>)
                return {f.ktime_ns, "session_end", std::nullopt, &f.leader, f.sid, f.uid};
            else
                return {f.ktime_ns, "verdict", verdict_kind_name(f.kind), &f.process, f.sid, f.uid};
        },
        finding);
}

}  // namespace

StoreRowWriter::~StoreRowWriter() {
    finalize();
}

bool StoreRowWriter::prepare(sqlite3* db, const std::string& path, std::string& error) {
    struct Statement {
        sqlite3_stmt** stmt;
        const char* sql;
    } statements[] = {
        {&insert_event_,
         "INSERT INTO events(run_id, ktime_ns, wall_ns, type, pid, start_ns, ppid, sid, uid, tty, "
         "comm, peer_pid, peer_start_ns, json) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"},
        {&insert_finding_,
         "INSERT INTO findings(run_id, ktime_ns, wall_ns, kind, verdict, pid, start_ns, sid, uid, "
         "json) VALUES(?,?,?,?,?,?,?,?,?,?)"},
        {&insert_seed_,
         "INSERT INTO seeds(run_id, wall_ns, pid, start_ns, start_tick_ns, ppid, pgid, sid, uid, "
         "tty, comm, argv, exe, loginuid) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"},
        {&insert_gap_,
         "INSERT INTO gaps(run_id, from_wall_ns, to_wall_ns, reason) VALUES(?,?,?,?)"},
        {&heartbeat_, "UPDATE runs SET last_wall_ns = ? WHERE id = ?"},
    };
    for (auto& s : statements) {
        int rc = sqlite3_prepare_v3(db, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt, nullptr);
        if (rc != SQLITE_OK) {
            error = store_error_line(db, rc, path);
            return false;
        }
    }
    return true;
}

void StoreRowWriter::finalize() {
    for (auto** stmt :
         {&insert_event_, &insert_finding_, &insert_seed_, &insert_gap_, &heartbeat_}) {
        sqlite3_finalize(*stmt);
        *stmt = nullptr;
    }
}

bool StoreRowWriter::event(std::int64_t run_id, const Event& event, const BootClock& clock,
                           const std::string& json, const std::optional<std::string>& tty) {
    const ProcessInfo& p = event.subject();
    sqlite3_stmt* s = insert_event_;
    bind_i64(s, 1, run_id);
    bind_u64(s, 2, event.ktime_ns);
    bind_i64(s, 3, clock.wall_ns(event.ktime_ns));
    bind_static_text(s, 4, output_event_name(event));
    bind_i64(s, 5, p.pid);
    bind_u64(s, 6, p.start_ns);
    bind_i64(s, 7, p.ppid);
    bind_i64(s, 8, p.sid);
    bind_i64(s, 9, p.uid);
    if (tty) bind_static_text(s, 10, *tty);
    bind_static_text(s, 11, p.comm);
    if (auto peer = peer_of(event)) {
        bind_i64(s, 12, peer->first);
        bind_u64(s, 13, peer->second);
    }
    bind_static_text(s, 14, json);
    return step_done(s);
}

bool StoreRowWriter::finding(std::int64_t run_id, const Finding& finding, const BootClock& clock,
                             const std::string& json) {
    sqlite3_stmt* s = insert_finding_;
    const FindingColumns c = columns_of(finding);
    bind_i64(s, 1, run_id);
    bind_u64(s, 2, c.ktime_ns);
    bind_i64(s, 3, clock.wall_ns(c.ktime_ns));
    bind_static_text(s, 4, c.kind);
    if (c.verdict) bind_static_text(s, 5, *c.verdict);
    bind_i64(s, 6, c.process->pid);
    bind_u64(s, 7, c.process->start_ns);
    bind_i64(s, 8, c.sid);
    bind_i64(s, 9, c.uid);
    bind_static_text(s, 10, json);
    return step_done(s);
}

bool StoreRowWriter::seed(std::int64_t run_id, std::int64_t wall_ns,
                          const std::vector<ProcSnapshot>& seed) {
    sqlite3_stmt* s = insert_seed_;
    for (const auto& snap : seed) {
        const ProcessInfo& p = snap.info;
        bind_i64(s, 1, run_id);
        bind_i64(s, 2, wall_ns);
        bind_i64(s, 3, p.pid);
        bind_u64(s, 4, p.start_ns);
        bind_u64(s, 5, snap.start_tick_ns);
        bind_i64(s, 6, p.ppid);
        bind_i64(s, 7, p.pgid);
        bind_i64(s, 8, p.sid);
        bind_i64(s, 9, p.uid);
        bind_tty(s, 10, p.tty_dev);
        bind_text(s, 11, p.comm);
        bind_text(s, 12,
                  nlohmann::json(snap.argv).dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace));
        bind_text(s, 13, snap.exe);
        // NULL when unset (no audit, or a process outside any login).
        if (p.loginuid != UINT32_MAX) bind_i64(s, 14, p.loginuid);
        if (!step_done(s)) return false;
    }
    return true;
}

bool StoreRowWriter::heartbeat(std::int64_t run_id, std::int64_t wall_ns) {
    bind_i64(heartbeat_, 1, wall_ns);
    bind_i64(heartbeat_, 2, run_id);
    return step_done(heartbeat_);
}

bool StoreRowWriter::gap(std::int64_t run_id, std::int64_t from_wall_ns, std::int64_t to_wall_ns,
                         const std::string& reason) {
    bind_i64(insert_gap_, 1, run_id);
    bind_i64(insert_gap_, 2, from_wall_ns);
    bind_i64(insert_gap_, 3, to_wall_ns);
    if (!reason.empty()) bind_text(insert_gap_, 4, reason);
    return step_done(insert_gap_);
}

}  // namespace hupwatch
