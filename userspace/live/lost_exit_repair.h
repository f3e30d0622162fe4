// Ends the live processes whose exit events the kernel lost (the ring buffer
// was full: hupwatch_events_lost_total). The risk audit's /proc scan, made
// on its own thread, goes to the monitor's next poll, which ends every live
// process started before the scan that the scan lacks, with an exit_unseen
// event (ProcessTable::exits_unseen_by). Without it a job killed while the
// ring was full would stay alive in the table for good: its session open,
// and a place taken in the table's bound, which never evicts the living.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "audit_result.h"
#include "live_monitor.h"
#include "risk_audit.h"

namespace hupwatch {

// When to ask for a scan after losses: at once at the first loss, then at
// most one per gap while losses go on, and always one after the last, so
// that a scan follows every lost exit. Pure: counts and times passed in.
class AuditAfterLosses {
   public:
    static constexpr std::uint64_t kGapNs = 2'000'000'000ULL;
    // The kernel's loss count is read this often, not every poll: it is a
    // lookup per counter of the stats map (about 20 syscalls), and an idle
    // daemon should not make hundreds a second for a rare event.
    static constexpr std::uint64_t kLookPeriodNs = 1'000'000'000ULL;

    // Whether to read the loss count now (then pass it to due()).
    bool time_to_look(std::uint64_t now_ns);

    // Whether to ask for a scan now, given the kernel's loss count now:
    // the monitor's own stats map, which starts at 0 when it loads its
    // programs, so a loss between the /proc seed and the first call counts.
    bool due(std::uint64_t lost_total, std::uint64_t now_ns);

   private:
    std::uint64_t lost_seen_ = 0;
    bool owed_ = false;  // losses since the last ask
    std::optional<std::uint64_t> last_ask_ns_;
    std::optional<std::uint64_t> last_look_ns_;
};

class LostExitRepair {
   public:
    // Scans every period and soon after losses; with no period (`watch`)
    // only after losses. `report` gets each audit once its scan is taken
    // (the daemon's metrics); it may be empty. `monitor` must outlive this.
    LostExitRepair(LiveMonitor& monitor, const std::string& proc_root,
                   std::optional<std::chrono::seconds> period, RiskAudit::Report report);
    LostExitRepair(const LostExitRepair&) = delete;
    LostExitRepair& operator=(const LostExitRepair&) = delete;

    // On the event thread, before each poll: hands the monitor the latest
    // scan, and asks for one if the kernel has lost events since.
    void before_poll(std::uint64_t now_ns);

   private:
    LiveMonitor& monitor_;
    RiskAudit::Report report_;
    AuditAfterLosses trigger_;
    std::mutex mutex_;
    std::optional<ProcessesSeen> latest_;  // the audit thread's latest scan
    std::unique_ptr<RiskAudit> audit_;     // last: its thread stops before the rest goes
};

}  // namespace hupwatch
