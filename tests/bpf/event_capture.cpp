#include "event_capture.h"

#include <unistd.h>

namespace hupwatch::test {

std::unique_ptr<EventCapture> EventCapture::start(const CollectorOptions& options,
                                                  std::string& error) {
    if (geteuid() != 0) {
        error = "not root";
        return nullptr;
    }
    CollectorError collector_error;
    auto collector = BpfCollector::start(options, collector_error);
    if (!collector) {
        error = collector_error.message;
        return nullptr;
    }
    std::unique_ptr<EventCapture> capture(new EventCapture());
    capture->collector_ = std::move(collector);
    capture->reader_ = std::make_unique<RingReader>(capture->collector_->ring_buffer_fd(),
                                                    [c = capture.get()](const Event& e) {
                                                        std::lock_guard lock(c->mutex_);
                                                        c->events_.push_back(e);
                                                        c->changed_.notify_all();
                                                    });
    capture->thread_ = std::thread([c = capture.get()] { c->drain(); });
    return capture;
}

EventCapture::~EventCapture() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void EventCapture::drain() {
    while (!stop_) reader_->poll(50);
}

std::optional<Event> EventCapture::wait_for(const Predicate& pred,
                                            std::chrono::milliseconds timeout) {
    auto found = wait_for_count(pred, 1, timeout);
    if (found.empty()) return std::nullopt;
    return found.front();
}

std::vector<Event> EventCapture::wait_for_count(const Predicate& pred, std::size_t n,
                                                std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex_);
    std::size_t scanned = 0;
    std::vector<Event> matches;
    for (;;) {
        for (; scanned < events_.size(); ++scanned)
            if (pred(events_[scanned])) matches.push_back(events_[scanned]);
        if (matches.size() >= n) return matches;
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
            for (; scanned < events_.size(); ++scanned)
                if (pred(events_[scanned])) matches.push_back(events_[scanned]);
            return matches;
        }
    }
}

}  // namespace hupwatch::test
