// Lines of a live stream put back in time order. Events of different CPUs
// reach the ring buffer slightly out of order, and a verdict is decided
// after its settle window (docs/events.md), while later events are already
// in hand. Lines are held for a window and released oldest first; a line
// older than one already released is marked late rather than held forever.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hupwatch {

class TimeOrderedLines {
   public:
    struct Line {
        std::uint64_t ktime_ns = 0;
        std::string text;
        bool late = false;  // older than a line released before it
    };

    explicit TimeOrderedLines(std::uint64_t hold_ns) : hold_ns_(hold_ns) {}

    // A line about the moment ktime_ns (CLOCK_BOOTTIME).
    void add(std::uint64_t ktime_ns, std::string text);
    // The lines at least hold_ns older than now, oldest first; every line
    // with now = kAll.
    std::vector<Line> release(std::uint64_t now_ns);
    bool empty() const { return held_.empty(); }

    static constexpr std::uint64_t kAll = std::numeric_limits<std::uint64_t>::max();

   private:
    std::uint64_t hold_ns_;
    std::uint64_t released_until_ns_ = 0;
    std::uint64_t sequence_ = 0;  // keeps arrival order among equal times
    std::map<std::pair<std::uint64_t, std::uint64_t>, Line> held_;
};

}  // namespace hupwatch
