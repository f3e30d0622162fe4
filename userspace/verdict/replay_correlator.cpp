#include "replay_correlator.h"

#include <algorithm>

namespace hupwatch {
namespace {

// As the live monitor: exited processes are evicted once a second.
constexpr std::uint64_t kEvictionPeriodNs = 1'000'000'000ULL;

}  // namespace

ReplayCorrelator::ReplayCorrelator(CorrelatorOptions options, HostProbe* probe)
    : correlator_(options, probe) {}

void ReplayCorrelator::seed(const std::vector<ProcSnapshot>& snapshots) {
    table_.seed(snapshots);
    correlator_.seed(snapshots);
}

std::vector<Finding> ReplayCorrelator::on_event(const Event& event) {
    last_ns_ = std::max(last_ns_, event.ktime_ns);
    table_.apply(event);
    std::vector<Finding> out = correlator_.on_event(event, table_);
    if (last_ns_ - last_eviction_ns_ >= kEvictionPeriodNs) {
        table_.evict(last_ns_);
        last_eviction_ns_ = last_ns_;
    }
    return out;
}

std::vector<Finding> ReplayCorrelator::finish() {
    // Far enough past the last event for every waiting period to be over.
    constexpr std::uint64_t kLongAfterNs = 3'600'000'000'000ULL;
    return correlator_.tick(last_ns_ + kLongAfterNs, table_);
}

}  // namespace hupwatch
