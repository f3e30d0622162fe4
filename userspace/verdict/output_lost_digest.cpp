#include "output_lost_digest.h"

namespace hupwatch {

bool OutputLostDigest::admit(const Event& event) {
    const ProcessInfo& proc = event.subject();
    Key key{proc.start_ns, proc.pid};
    auto [it, first] = swallowed_.try_emplace(key);
    if (first) {
        if (swallowed_.size() > kMaxProcesses) swallowed_.erase(swallowed_.begin());
        return true;
    }
    it->second = event;
    ++repeats_;
    return false;
}

std::optional<Event> OutputLostDigest::on_exit(std::uint32_t pid, std::uint64_t start_ns) {
    auto it = swallowed_.find({start_ns, pid});
    if (it == swallowed_.end()) return std::nullopt;
    auto last = std::move(it->second);
    swallowed_.erase(it);
    return last;
}

}  // namespace hupwatch
