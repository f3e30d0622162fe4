#include "store_pruner.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "boot_clock.h"
#include "store_sql.h"

namespace hupwatch {
namespace {

// Age pruning runs at most this often; size pruning after every commit.
constexpr auto kAgePruneInterval = std::chrono::seconds(1);

}  // namespace

std::uint64_t StorePruner::used_bytes() {
    std::int64_t pages = query_int(db_, "PRAGMA page_count");
    std::int64_t free_pages = query_int(db_, "PRAGMA freelist_count");
    std::int64_t page_size = query_int(db_, "PRAGMA page_size");
    return static_cast<std::uint64_t>((pages - free_pages) * page_size);
}

std::size_t StorePruner::prune_table(const char* table, std::int64_t cutoff_wall_ns,
                                     bool oldest_batch) {
    // By id range, not by a scan of wall_ns: ids follow time, and a bounded
    // range keeps each step short whatever the table's size.
    std::string lowest = fmt::format("SELECT min(id) FROM {}", table);
    std::int64_t lo = query_int(db_, lowest.c_str(), -1);
    if (lo < 0) return 0;
    const auto hi = lo + static_cast<std::int64_t>(options_.batch);
    std::string sql = oldest_batch ? fmt::format("DELETE FROM {} WHERE id < {}", table, hi)
                                   : fmt::format("DELETE FROM {} WHERE id < {} AND wall_ns < {}",
                                                 table, hi, cutoff_wall_ns);
    if (!exec_sql(db_, sql.c_str())) {
        ++errors_;
        return 0;
    }
    return static_cast<std::size_t>(sqlite3_changes(db_));
}

std::size_t StorePruner::prune_by_age() {
    const std::int64_t cutoff = wall_now_ns() - options_.retention_ns;
    std::size_t deleted = 0;
    for (const char* table : {"events", "findings", "seeds"})
        deleted += prune_table(table, cutoff, false);
    std::string gaps = fmt::format("DELETE FROM gaps WHERE to_wall_ns < {}", cutoff);
    exec_sql(db_, gaps.c_str());
    return deleted;
}

std::size_t StorePruner::prune_by_size() {
    // Oldest events first; findings and seeds go once no event as old
    // remains, and only when there are no events left do they go alone.
    std::size_t events = prune_table("events", 0, true);
    std::size_t deleted = events;
    std::int64_t oldest = query_int(
        db_, "SELECT wall_ns FROM events WHERE id = (SELECT min(id) FROM events)", INT64_MAX);
    for (const char* table : {"findings", "seeds"})
        deleted += events > 0 ? prune_table(table, oldest, false) : prune_table(table, 0, true);
    return deleted;
}

std::size_t StorePruner::step(bool force) {
    std::size_t deleted = 0;
    auto now = std::chrono::steady_clock::now();
    if (options_.retention_ns > 0 && (force || now - last_age_prune_ >= kAgePruneInterval)) {
        last_age_prune_ = now;
        deleted += prune_by_age();
    }
    if (options_.max_size > 0 && used_bytes() > options_.max_size) deleted += prune_by_size();
    // Hand the freed pages back a little at a time.
    if (deleted > 0) exec_sql(db_, "PRAGMA incremental_vacuum(4096)");
    return deleted;
}

}  // namespace hupwatch
