// When the event store hands back what a burst of writes grew: SQLite's page
// cache (cache_size, up to 64 MiB) and the batches' reused vectors. A spawn
// storm or a stream of sessions fills both, and without a release the
// daemon would hold them for the rest of its life (bench/README.md, "Memory
// during a storm"). Released once the write rate has stayed low for a whole
// period after enough rows since the last release; a host that stays busy
// keeps its cache. Pure: the writer passes each batch's size and the time.
#pragma once

#include <chrono>
#include <cstddef>

namespace hupwatch {

class BurstRelease {
   public:
    using Clock = std::chrono::steady_clock;
    struct Options {
        std::size_t burst_rows = 8'192;  // rows since the last release that make a burst
        std::size_t quiet_rows = 1'024;  // fewer rows than this in a period: quiet
        Clock::duration period = std::chrono::seconds(1);
    };

    BurstRelease() : BurstRelease(Options{}) {}
    explicit BurstRelease(Options options) : options_(options) {}

    // One written batch of `rows` (0 for an idle tick). True: release now.
    bool on_batch(std::size_t rows, Clock::time_point now);

   private:
    Options options_;
    std::size_t since_release_ = 0;
    std::size_t in_period_ = 0;
    bool started_ = false;
    Clock::time_point period_start_{};
};

}  // namespace hupwatch
