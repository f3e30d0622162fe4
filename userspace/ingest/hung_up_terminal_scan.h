// Runs the iter/task_file program (bpf/hung_up_files.bpf.c) over one
// process: which of its fds are hung-up terminals or widowed pipes, as the
// kernel sees them.
// Costs a link, an iterator fd and a read per call; nothing between calls.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "host_probe.h"

struct bpf_program;

namespace hupwatch {

class HungUpTerminalScan {
   public:
    // `program` is the loaded iterator; null: every scan answers nullopt.
    explicit HungUpTerminalScan(struct ::bpf_program* program) : program_(program) {}

    // The hung-up fds of (pid, start_ns), in fd order; an empty list when it
    // has none, nullopt when the kernel could not be asked (counted).
    std::optional<std::vector<HungUpFd>> scan(std::uint32_t pid, std::uint64_t start_ns);

    std::uint64_t scans() const { return scans_; }
    std::uint64_t failures() const { return failures_; }

   private:
    struct ::bpf_program* program_;
    std::uint64_t scans_ = 0;
    std::uint64_t failures_ = 0;
};

}  // namespace hupwatch
