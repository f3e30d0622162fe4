// Retention of the event store: rows older than the retention go, and the
// oldest go first while the live pages exceed max_size, in small id-ranged
// steps between the writer's batches so no step holds the database long.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

struct sqlite3;

namespace hupwatch {

struct StorePrunerOptions {
    std::int64_t retention_ns = 0;  // 0: keep everything
    std::uint64_t max_size = 0;     // bytes of live pages; 0: unlimited
    std::size_t batch = 5'000;      // rows per table per step
};

class StorePruner {
   public:
    StorePruner(sqlite3* db, StorePrunerOptions options) : db_(db), options_(options) {}

    // One step: by age at most once a second (or when forced), by size
    // every time. Rows deleted; failed deletes are counted in errors().
    std::size_t step(bool force);
    std::uint64_t errors() const { return errors_; }

   private:
    std::size_t prune_table(const char* table, std::int64_t cutoff_wall_ns, bool oldest_batch);
    std::size_t prune_by_age();
    std::size_t prune_by_size();
    std::uint64_t used_bytes();

    sqlite3* db_;
    StorePrunerOptions options_;
    std::uint64_t errors_ = 0;
    std::chrono::steady_clock::time_point last_age_prune_{};
};

}  // namespace hupwatch
