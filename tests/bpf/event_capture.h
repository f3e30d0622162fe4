// Test support for BPF tests: a collector draining into a list on its own
// thread, with bounded waits on conditions (never fixed sleeps). Every BPF
// program sees the whole machine, so tests match their own pids only.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bpf_collector.h"
#include "events.h"
#include "ring_reader.h"
#include "skip_or_fail.h"

namespace hupwatch::test {

class EventCapture {
   public:
    using Predicate = std::function<bool(const Event&)>;

    static std::unique_ptr<EventCapture> start(const CollectorOptions& options, std::string& error);
    ~EventCapture();

    // The first captured event matching pred, waiting up to timeout.
    std::optional<Event> wait_for(const Predicate& pred,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Waits until at least n events match; returns all that match.
    std::vector<Event> wait_for_count(const Predicate& pred, std::size_t n,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
    BpfStats stats() const { return collector_->read_stats(); }

   private:
    EventCapture() = default;
    void drain();

    std::unique_ptr<BpfCollector> collector_;
    std::unique_ptr<RingReader> reader_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Event> events_;
};

}  // namespace hupwatch::test

// Outside CI a test without root or BPF skips with the reason; under CI=true
// it fails, so a CI machine without BPF never passes silently.
#define HUPWATCH_START_CAPTURE(var, options)                                       \
    std::string var##_error;                                                       \
    auto var = ::hupwatch::test::EventCapture::start((options), var##_error);      \
    if (!var) {                                                                    \
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI("BPF unavailable (" << var##_error << ")"); \
    }
