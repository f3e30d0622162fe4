// The store's rows: one prepared INSERT per table, bound from the types the
// live path uses (docs/store.md has the columns). The writer thread of
// SqliteStore is its only user; it owns the transactions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "boot_clock.h"
#include "events.h"
#include "findings.h"
#include "proc_text.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hupwatch {

class StoreRowWriter {
   public:
    StoreRowWriter() = default;
    ~StoreRowWriter();
    StoreRowWriter(const StoreRowWriter&) = delete;
    StoreRowWriter& operator=(const StoreRowWriter&) = delete;

    // false with a one-line error naming path.
    bool prepare(sqlite3* db, const std::string& path, std::string& error);
    void finalize();

    // `json` (and `tty`) must outlive the call; they are bound without a copy.
    bool event(std::int64_t run_id, const Event& event, const BootClock& clock,
               const std::string& json, const std::optional<std::string>& tty);
    bool finding(std::int64_t run_id, const Finding& finding, const BootClock& clock,
                 const std::string& json);
    // One row per process.
    bool seed(std::int64_t run_id, std::int64_t wall_ns, const std::vector<ProcSnapshot>& seed);
    bool heartbeat(std::int64_t run_id, std::int64_t wall_ns);
    // A hole in the record: reason empty for an unclean stop (NULL).
    bool gap(std::int64_t run_id, std::int64_t from_wall_ns, std::int64_t to_wall_ns,
             const std::string& reason);

   private:
    sqlite3_stmt* insert_event_ = nullptr;
    sqlite3_stmt* insert_finding_ = nullptr;
    sqlite3_stmt* insert_seed_ = nullptr;
    sqlite3_stmt* insert_gap_ = nullptr;
    sqlite3_stmt* heartbeat_ = nullptr;
};

}  // namespace hupwatch
