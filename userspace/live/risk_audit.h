// The periodic `hupwatch ps` audit behind hupwatch_jobs_at_risk: every
// period, on its own thread (a /proc scan must not hold up the event path),
// classifies the host's processes as `ps` does and reports the jobs that
// would die if their session dropped now, by user, and the orphaned ones.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "audit_result.h"

namespace hupwatch {

class RiskAudit {
   public:
    using Report = std::function<void(AuditResult result)>;

    // Audits every period, the first one period from now: the daemon runs
    // one itself at start (audit()), before it says it is running.
    RiskAudit(std::string proc_root, std::chrono::seconds period, Report report);
    ~RiskAudit();
    RiskAudit(const RiskAudit&) = delete;
    RiskAudit& operator=(const RiskAudit&) = delete;

    // One audit, synchronously: what the thread reports.
    static AuditResult audit(const std::string& proc_root);

   private:
    void loop();

    std::string proc_root_;
    std::chrono::seconds period_;
    Report report_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace hupwatch
