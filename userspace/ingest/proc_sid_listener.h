// Each successful setsid() at the moment of the call, without BPF: the
// kernel's process events connector sends PROC_EVENT_SID from ksys_setsid()
// (proc_sid_connector, drivers/connector/cn_proc.c). Subscribed with the
// event filter (struct proc_input, Linux 6.6) to that one type: a listener of
// every fork, exec and exit costs a spawn storm about 25 %. The filter is
// proved at start; without it there is no listener, and setsid events stay
// derived (docs/events.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "monitor_counters.h"

namespace hupwatch {

// One setsid() that succeeded.
struct SetsidMoment {
    std::uint32_t pid = 0;      // the caller's thread group (it is the group leader's)
    std::uint32_t tid = 0;      // the thread the kernel names
    std::uint64_t boot_ns = 0;  // when, CLOCK_BOOTTIME (the clock of our events)
};

class ProcSidListener {
   public:
    // How long the start-up check waits for its own child's setsid.
    static constexpr int kSelfCheckMs = 500;

    // Opens the socket, subscribes to PROC_EVENT_SID alone and checks that
    // the kernel honours the filter: a child of ours calls setsid(), and its
    // message must come, and no message of another type. nullptr with `why`
    // (one line) when any of that fails: no socket or privilege, a kernel
    // older than the filter, another pid or user namespace than the initial
    // ones (the connector answers only those).
    static std::unique_ptr<ProcSidListener> start(std::string& why);
    ~ProcSidListener();
    ProcSidListener(const ProcSidListener&) = delete;
    ProcSidListener& operator=(const ProcSidListener&) = delete;

    // Readable when messages wait (for poll).
    int fd() const { return fd_; }
    // Reads every message ready now, without blocking, and hands each setsid
    // to on_sid. Lost messages (ENOBUFS) and bad ones are counted. 0, or a
    // negative errno when the socket failed otherwise.
    int drain(const std::function<void(const SetsidMoment&)>& on_sid);

    // messages, overflows, malformed, other_events (the rest is the caller's).
    const ProcSidCounters& counters() const { return counters_; }

   private:
    explicit ProcSidListener(int fd) : fd_(fd) {}
    bool subscribe(std::uint32_t op, std::string& why);
    bool self_check(std::string& why);

    int fd_ = -1;
    bool subscribed_ = false;
    ProcSidCounters counters_;
};

}  // namespace hupwatch
