// The correlator over recorded events: a process table and a
// DisconnectCorrelator fed in the live monitor's order (the table applies an
// event, then the correlator reads it), with time taken from the events.
// `replay --reanalyze` runs it over the store, the capture test over a file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "disconnect_correlator.h"
#include "events.h"
#include "findings.h"
#include "host_probe.h"
#include "proc_text.h"
#include "process_table.h"

namespace hupwatch {

// What a recording can answer of the host: user names (the passwd of the
// host it is read on), nothing of /proc. So verdicts that live came from a
// process's cgroup, signal masks or open files fall back to what the events
// show: supervision by tmux or screen ancestors only, the SIGHUP disposition
// from signal results, output lost only from failed writes.
class RecordedHostProbe : public HostProbe {
   public:
    std::optional<std::string> cgroup_path(std::uint32_t) override { return std::nullopt; }
    std::optional<SignalMasks> signal_masks(std::uint32_t) override { return std::nullopt; }
    std::optional<OutputTargets> output_targets(std::uint32_t) override { return std::nullopt; }
    std::string user_name(std::uint32_t uid) override { return user_name_of(uid); }
    std::optional<double> cpu_seconds(std::uint32_t) override { return std::nullopt; }
};

class ReplayCorrelator {
   public:
    explicit ReplayCorrelator(CorrelatorOptions options = {}, HostProbe* probe = nullptr);

    // The /proc seed of the recorded run, before its first event.
    void seed(const std::vector<ProcSnapshot>& snapshots);
    // One recorded event, in the order it was recorded.
    std::vector<Finding> on_event(const Event& event);
    // The end of the recording: settles what was waiting (orphans) as the
    // live monitor's tick would once their time had passed.
    std::vector<Finding> finish();

   private:
    ProcessTable table_;
    DisconnectCorrelator correlator_;
    std::uint64_t last_ns_ = 0;
    std::uint64_t last_eviction_ns_ = 0;
};

}  // namespace hupwatch
