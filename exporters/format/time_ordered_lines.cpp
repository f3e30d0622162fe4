#include "time_ordered_lines.h"

namespace hupwatch {

void TimeOrderedLines::add(std::uint64_t ktime_ns, std::string text) {
    bool late = ktime_ns < released_until_ns_;
    held_.emplace(std::pair{ktime_ns, sequence_++}, Line{ktime_ns, std::move(text), late});
}

std::vector<TimeOrderedLines::Line> TimeOrderedLines::release(std::uint64_t now_ns) {
    std::uint64_t until = now_ns == kAll ? kAll : (now_ns > hold_ns_ ? now_ns - hold_ns_ : 0);
    std::vector<Line> out;
    while (!held_.empty() && held_.begin()->first.first <= until) {
        auto node = held_.extract(held_.begin());
        if (node.key().first > released_until_ns_) released_until_ns_ = node.key().first;
        out.push_back(std::move(node.mapped()));
    }
    return out;
}

}  // namespace hupwatch
