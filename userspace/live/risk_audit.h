// The periodic `hupwatch ps` audit behind hupwatch_jobs_at_risk: every
// period, on its own thread (a /proc scan must not hold up the event path),
// classifies the host's processes as `ps` does and reports the jobs that
// would die if their session dropped now, by user, and the orphaned ones.
// Its scan also ends the processes whose exits were lost (lost_exit_repair.h),
// which can ask for one early.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "audit_result.h"

namespace hupwatch {

class RiskAudit {
   public:
    using Report = std::function<void(AuditResult result)>;

    // Audits every period, the first one period from now: the daemon runs
    // one itself at start (audit()), before it says it is running. With no
    // period, audits only when asked (audit_soon()).
    RiskAudit(std::string proc_root, std::optional<std::chrono::seconds> period, Report report);
    ~RiskAudit();
    RiskAudit(const RiskAudit&) = delete;
    RiskAudit& operator=(const RiskAudit&) = delete;

    // An audit now rather than at the period's end (any thread). Asks made
    // before it starts make one audit; the period restarts after it.
    void audit_soon();

    // One audit, synchronously: what the thread reports.
    static AuditResult audit(const std::string& proc_root);

   private:
    void loop();

    std::string proc_root_;
    std::optional<std::chrono::seconds> period_;
    Report report_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    bool soon_ = false;
    std::thread thread_;
};

}  // namespace hupwatch
