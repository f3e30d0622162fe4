// Owns the BPF skeleton: open, configure, load, attach, and the counters the
// programs keep. Non-copyable; everything is released in the destructor.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hupwatch_events.h"
#include "monitor_counters.h"
#include "preflight.h"

struct hupwatch_bpf;  // the generated skeleton

namespace hupwatch {

// SIGHUP SIGINT SIGQUIT SIGKILL SIGPIPE SIGTERM SIGCONT
inline constexpr std::uint64_t kDefaultSignalMask = (1ULL << 1) | (1ULL << 2) | (1ULL << 3) |
                                                    (1ULL << 9) | (1ULL << 13) | (1ULL << 15) |
                                                    (1ULL << 18);

inline constexpr std::uint64_t kMinWakeupBytesPerCpu = 4096;

struct CollectorOptions {
    std::uint64_t signal_mask = kDefaultSignalMask;
    std::uint32_t argv_max = HW_ARGS_MAX;  // bytes of argv captured per exec
    // The reader is woken when about this much data waits (each CPU wakes it
    // after its share, at least kMinWakeupBytesPerCpu); otherwise it finds
    // the data on its next timed poll. Waking per event would cost the
    // traced CPU an interrupt for every fork.
    std::uint64_t wakeup_bytes = 128 * 1024;
    // setsid/setpgid results and EIO writes come from raw_syscalls:sys_exit,
    // which puts every syscall on the kernel's slower traced path. Off:
    // no setsid/setpgid/output_lost events, cheaper syscalls.
    bool syscall_results = true;
};

struct CollectorError {
    ExitCode code = kExitOk;
    std::string message;  // one line
};

class BpfCollector {
   public:
    // Loads and attaches every program; on failure returns null and fills error
    // (for a verifier rejection, with the verifier's last lines).
    static std::unique_ptr<BpfCollector> start(const CollectorOptions& options,
                                               CollectorError& error);
    ~BpfCollector();
    BpfCollector(const BpfCollector&) = delete;
    BpfCollector& operator=(const BpfCollector&) = delete;

    int ring_buffer_fd() const;
    BpfStats read_stats() const;
    // Runs and run time of every loaded program. Zeros unless the kernel
    // counts them: start() enables BPF statistics (BPF_ENABLE_STATS) for as
    // long as the collector lives; it costs two clock reads per run.
    std::vector<BpfProgramStats> read_program_stats() const;

   private:
    BpfCollector(struct ::hupwatch_bpf* skel, int stats_fd) : skel_(skel), stats_fd_(stats_fd) {}
    struct ::hupwatch_bpf* skel_;
    int stats_fd_ = -1;  // holds BPF statistics on; -1 when the kernel refused
};

}  // namespace hupwatch
