#include "monitor_capture.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "finding_format.h"

namespace hupwatch::test {

std::unique_ptr<MonitorCapture> MonitorCapture::start(std::string& error,
                                                      CorrelatorOptions correlator) {
    MonitorOptions options;
    options.correlator = correlator;
    return start(error, options);
}

std::unique_ptr<MonitorCapture> MonitorCapture::start(std::string& error,
                                                      const MonitorOptions& options) {
    if (geteuid() != 0) {
        error = "not root";
        return nullptr;
    }
    std::unique_ptr<MonitorCapture> capture(new MonitorCapture());
    CollectorError collector_error;
    capture->monitor_ = LiveMonitor::start(options, *capture, collector_error);
    if (!capture->monitor_) {
        error = collector_error.message;
        return nullptr;
    }
    capture->thread_ = std::thread([c = capture.get()] {
        while (!c->stop_) {
            {
                std::lock_guard lock(c->poll_mutex_);
                c->monitor_->poll(50);
            }
            std::this_thread::yield();  // let counters() in
        }
    });
    return capture;
}

MonitorCapture::~MonitorCapture() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void MonitorCapture::on_event(const Event& event) {
    std::lock_guard lock(mutex_);
    if (keep_events_) {
        events_.push_back(event);
        changed_.notify_all();
    }
    if (event.type() != EventType::Exit) return;
    exits_.push_back(event.subject());
    changed_.notify_all();
}

void MonitorCapture::keep_events() {
    std::lock_guard lock(mutex_);
    keep_events_ = true;
}

std::vector<Event> MonitorCapture::events() {
    std::lock_guard lock(mutex_);
    return events_;
}

std::optional<Event> MonitorCapture::wait_event(const std::function<bool(const Event&)>& match,
                                                std::chrono::milliseconds timeout) {
    std::optional<Event> out;
    wait(
        [&] {
            for (const auto& e : events_)
                if (match(e)) {
                    out = e;
                    return true;
                }
            return false;
        },
        timeout);
    return out;
}

std::vector<ProcessInfo> MonitorCapture::exits() {
    std::lock_guard lock(mutex_);
    return exits_;
}

bool MonitorCapture::wait_exit(std::uint32_t pid, std::chrono::milliseconds timeout) {
    return wait(
        [&] {
            for (const auto& e : exits_)
                if (e.pid == pid) return true;
            return false;
        },
        timeout);
}

MonitorCounters MonitorCapture::counters() {
    std::lock_guard lock(poll_mutex_);
    return monitor_->counters();
}

std::optional<ProcessEntry> MonitorCapture::entry(std::uint32_t pid,
                                                  std::optional<std::uint64_t> start_ns) {
    std::lock_guard lock(poll_mutex_);
    const ProcessEntry* e =
        start_ns ? monitor_->table().find(pid, *start_ns) : monitor_->table().find_alive(pid);
    if (!e) return std::nullopt;
    return *e;
}

std::string MonitorCapture::proc_connector_unused() {
    std::lock_guard lock(poll_mutex_);
    return monitor_->proc_connector_unused();
}

void MonitorCapture::on_finding(const Finding& finding) {
    // HUPWATCH_TEST_DUMP=1 shows every finding, to see what a failing
    // scenario concluded.
    static const bool dump = std::getenv("HUPWATCH_TEST_DUMP") != nullptr;
    if (dump) fprintf(stderr, "finding: %s\n", to_json_line(finding, clock_).c_str());
    std::lock_guard lock(mutex_);
    findings_.push_back(finding);
    changed_.notify_all();
}

template <typename Pred>
bool MonitorCapture::wait(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return pred(); });
}

std::vector<Verdict> MonitorCapture::wait_verdicts(std::uint32_t pid, std::size_t n,
                                                   std::chrono::milliseconds timeout) {
    std::vector<Verdict> out;
    wait(
        [&] {
            out.clear();
            for (const auto& f : findings_)
                if (auto* v = std::get_if<Verdict>(&f); v && v->process.pid == pid)
                    out.push_back(*v);
            return out.size() >= n;
        },
        timeout);
    return out;
}

std::optional<DisconnectFinding> MonitorCapture::wait_disconnect(
    std::uint32_t sid, std::chrono::milliseconds timeout) {
    std::optional<DisconnectFinding> out;
    wait(
        [&] {
            for (const auto& f : findings_)
                if (auto* d = std::get_if<DisconnectFinding>(&f); d && d->sid == sid) out = *d;
            return out.has_value();
        },
        timeout);
    return out;
}

std::optional<SessionEndFinding> MonitorCapture::wait_session_end(
    std::uint32_t sid, std::chrono::milliseconds timeout) {
    std::optional<SessionEndFinding> out;
    wait(
        [&] {
            for (const auto& f : findings_)
                if (auto* d = std::get_if<SessionEndFinding>(&f); d && d->sid == sid) out = *d;
            return out.has_value();
        },
        timeout);
    return out;
}

std::vector<Finding> MonitorCapture::findings() {
    std::lock_guard lock(mutex_);
    return findings_;
}

}  // namespace hupwatch::test
