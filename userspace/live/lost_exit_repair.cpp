#include "lost_exit_repair.h"

namespace hupwatch {

bool AuditAfterLosses::due(std::uint64_t lost_total, std::uint64_t now_ns) {
    if (lost_total != lost_seen_) owed_ = true;
    lost_seen_ = lost_total;
    // A storm that overflows the ring for minutes gets one scan per gap, not
    // one per poll: a scan of /proc takes the other CPU the reader needs.
    if (!owed_ || (last_ask_ns_ && now_ns - *last_ask_ns_ < kGapNs)) return false;
    owed_ = false;
    last_ask_ns_ = now_ns;
    return true;
}

bool AuditAfterLosses::time_to_look(std::uint64_t now_ns) {
    if (last_look_ns_ && now_ns - *last_look_ns_ < kLookPeriodNs) return false;
    last_look_ns_ = now_ns;
    return true;
}

LostExitRepair::LostExitRepair(LiveMonitor& monitor, const std::string& proc_root,
                               std::optional<std::chrono::seconds> period, RiskAudit::Report report)
    : monitor_(monitor), report_(std::move(report)) {
    audit_ = std::make_unique<RiskAudit>(proc_root, period, [this](AuditResult result) {
        {
            std::lock_guard lock(mutex_);
            latest_ = std::move(result.seen);
        }
        if (report_) report_(std::move(result));
    });
}

void LostExitRepair::before_poll(std::uint64_t now_ns) {
    {
        std::lock_guard lock(mutex_);
        if (latest_) monitor_.check_against(std::move(*latest_));
        latest_.reset();
    }
    if (trigger_.time_to_look(now_ns) && trigger_.due(monitor_.lost_in_kernel(), now_ns))
        audit_->audit_soon();
}

}  // namespace hupwatch
