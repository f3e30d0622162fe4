// The periodic `hupwatch ps` audit behind hupwatch_jobs_at_risk: every
// period, on its own thread (a /proc scan must not hold up the event path),
// counts the jobs that would die if their session dropped now, by user.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace hupwatch {

class RiskAudit {
   public:
    using Report = std::function<void(std::map<std::string, std::uint64_t> at_risk_by_user)>;

    RiskAudit(std::string proc_root, std::chrono::seconds period, Report report);
    ~RiskAudit();
    RiskAudit(const RiskAudit&) = delete;
    RiskAudit& operator=(const RiskAudit&) = delete;

    // One audit, synchronously: the count the thread reports.
    static std::map<std::string, std::uint64_t> count_at_risk(const std::string& proc_root);

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
