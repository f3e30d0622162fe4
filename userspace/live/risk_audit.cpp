#include "risk_audit.h"

#include <ctime>

#include "boot_clock.h"
#include "proc_host_probe.h"
#include "proc_scanner.h"
#include "process_classification.h"
#include "process_forest.h"

namespace hupwatch {

RiskAudit::RiskAudit(std::string proc_root, std::chrono::seconds period, Report report)
    : proc_root_(std::move(proc_root)), period_(period), report_(std::move(report)) {
    thread_ = std::thread([this] { loop(); });
}

RiskAudit::~RiskAudit() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::map<std::string, std::uint64_t> RiskAudit::count_at_risk(const std::string& proc_root) {
    ProcScanner scanner(proc_root);
    ProcHostProbe probe(proc_root);
    ForestOptions options;
    options.now_ns = boot_now_ns();
    auto forest = build_forest(scanner.scan(), probe, options);
    std::map<std::string, std::uint64_t> by_user;
    for (const auto& node : forest.nodes)
        if (node.risk.risk == Risk::AtRisk) ++by_user[node.user];
    return by_user;
}

void RiskAudit::loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        lock.unlock();
        auto counts = count_at_risk(proc_root_);
        report_(std::move(counts));
        lock.lock();
        wake_.wait_for(lock, period_, [this] { return stop_; });
    }
}

}  // namespace hupwatch
