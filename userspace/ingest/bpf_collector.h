// Owns the BPF skeleton: open, configure, load, attach, and the counters the
// programs keep. Non-copyable; everything is released in the destructor.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hung_up_terminal_scan.h"
#include "hupwatch_events.h"
#include "monitor_counters.h"
#include "pid_namespace.h"
#include "preflight.h"

struct hupwatch_bpf;  // the generated skeleton
struct bpf_program;

namespace hupwatch {

// SIGHUP SIGINT SIGQUIT SIGKILL SIGPIPE SIGTERM SIGCONT
inline constexpr std::uint64_t kDefaultSignalMask = HW_DEFAULT_SIGNAL_MASK;

struct CollectorOptions {
    std::uint64_t signal_mask = kDefaultSignalMask;
    std::uint32_t argv_max = HW_ARGS_MAX;  // bytes of argv captured per exec
    // Opt-in: setsid/setpgid results and EIO writes from raw_syscalls:sys_exit.
    // Attaching it puts every syscall of every process on the kernel's slower
    // traced path (syscall_trace_enter/syscall_exit_work), whatever the
    // program does. Off (the default): the program is not even loaded;
    // session changes are derived from the events, and output loss is read
    // from the fds themselves when a verdict settles.
    bool syscall_results = false;
    // Opt-in (--bpf-stats): per-program run counts and time for the metrics.
    // BPF_ENABLE_STATS puts two clock reads on every run of every BPF program
    // on the host, so it is off by default.
    bool program_stats = false;
    // Load the exit program of kernels before 6.16 (handle_exit_live) even
    // where the tracepoint has group_dead: for tests of the fallback and of
    // the userspace backstop that drops its second exits.
    bool exit_by_live_count = false;
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
    // "tp_btf/sched_process_fork", ...: every program attached, in load order.
    const std::vector<std::string>& attached_hooks() const { return hooks_; }
    // The hook --syscall-results adds, and the iterator run on demand, named
    // as attached_hooks() names them.
    std::string syscall_results_hook() const;
    std::string iterator_hook() const;
    // The iter/task_file program behind HungUpTerminalScan (loaded, not attached).
    struct ::bpf_program* hung_up_iterator() const;
    HungUpIteratorGlobals hung_up_iterator_globals() const;
    // Runs and run time of every loaded program. Zeros unless the kernel
    // counts them: start() enables BPF statistics (BPF_ENABLE_STATS) for as
    // long as the collector lives; it costs two clock reads per run.
    std::vector<BpfProgramStats> read_program_stats() const;
    // The namespace whose pids every event carries: the loader's own.
    const PidNamespace& pid_namespace() const { return pid_namespace_; }

   private:
    BpfCollector(struct ::hupwatch_bpf* skel, int stats_fd, PidNamespace pid_namespace)
        : skel_(skel), stats_fd_(stats_fd), pid_namespace_(pid_namespace) {}
    struct ::hupwatch_bpf* skel_;
    std::vector<std::string> hooks_;
    int stats_fd_ = -1;  // holds BPF statistics on; -1 when the kernel refused
    PidNamespace pid_namespace_;
};

// Does this kernel's sched_process_exit pass group_dead (Linux 6.16+)? Read
// from the kernel's BTF: btf_trace_sched_process_exit's prototype.
bool exit_tracepoint_has_group_dead();

}  // namespace hupwatch
