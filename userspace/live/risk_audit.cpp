#include "risk_audit.h"

#include <ctime>

#include "boot_clock.h"
#include "proc_host_probe.h"
#include "proc_scanner.h"
#include "process_classification.h"
#include "process_forest.h"

namespace hupwatch {

RiskAudit::RiskAudit(std::string proc_root, std::optional<std::chrono::seconds> period,
                     Report report)
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

AuditResult RiskAudit::audit(const std::string& proc_root) {
    AuditResult out;
    out.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    ProcScanner scanner(proc_root);
    ProcHostProbe probe(proc_root);
    ForestOptions options;
    options.now_ns = boot_now_ns();
    out.seen.scan_started_ns = options.now_ns;
    const auto snapshots = scanner.scan();
    out.seen.tick_ns = scanner.tick_ns();
    out.seen.complete = scanner.complete();
    out.seen.unread = scanner.unread();
    out.seen.processes.reserve(snapshots.size());
    for (const auto& snap : snapshots)
        out.seen.processes.emplace_back(snap.info.pid, snap.info.start_ns);
    auto forest = build_forest(snapshots, probe, options);
    out.scan = scanner.counters();
    for (const auto& node : forest.nodes) {
        if (node.risk.risk == Risk::AtRisk) ++out.at_risk_by_user[node.user];
        // Supervision is decided before orphanhood (assess_risk): an
        // orphaned job here is one nothing looks after.
        if (node.risk.risk == Risk::Orphaned)
            out.orphans.push_back(
                {node.info.pid, node.info.start_ns, scanner.tick_ns(), node.user, node.info.comm});
    }
    return out;
}

void RiskAudit::audit_soon() {
    {
        std::lock_guard lock(mutex_);
        soon_ = true;
    }
    wake_.notify_all();
}

void RiskAudit::loop() {
    std::unique_lock lock(mutex_);
    const auto woken = [this] { return stop_ || soon_; };
    for (;;) {
        if (period_)
            wake_.wait_for(lock, *period_, woken);
        else
            wake_.wait(lock, woken);
        if (stop_) return;
        soon_ = false;
        lock.unlock();
        report_(audit(proc_root_));
        lock.lock();
    }
}

}  // namespace hupwatch
