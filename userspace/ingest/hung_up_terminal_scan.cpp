#include "hung_up_terminal_scan.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hupwatch_events.h"

namespace hupwatch {

std::optional<std::vector<HungUpFd>> HungUpTerminalScan::scan(std::uint32_t pid,
                                                              std::uint64_t start_ns) {
    if (!program_ || pid == 0) return std::nullopt;
    ++scans_;
    // The kernel walks this process's fds only (bpf_iter_link_info.task.pid,
    // Linux 6.1), not the host's.
    union bpf_iter_link_info info;
    std::memset(&info, 0, sizeof(info));
    info.task.pid = pid;
    LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));
    struct bpf_link* link = bpf_program__attach_iter(program_, &opts);
    if (!link) {
        // ESRCH: the process is gone, so it has no fds at all.
        if (errno == ESRCH) return std::vector<HungUpFd>{};
        ++failures_;
        return std::nullopt;
    }
    int fd = bpf_iter_create(bpf_link__fd(link));
    if (fd < 0) {
        ++failures_;
        bpf_link__destroy(link);
        return std::nullopt;
    }
    std::vector<HungUpFd> out;
    hw_hung_up_fd records[64];
    bool ok = true;
    for (;;) {
        ssize_t n = read(fd, records, sizeof(records));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ok = false;
            break;
        }
        if (n == 0) break;
        for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof(records[0]); ++i) {
            const auto& r = records[i];
            // A pid reused between the caller's look and ours is another process.
            if (r.pid != pid || r.start_ns != start_ns) continue;
            out.push_back({static_cast<int>(r.fd), r.tty_dev,
                           r.kind == HW_DEAD_FD_WIDOWED_PIPE ? DeadFdKind::WidowedPipe
                                                             : DeadFdKind::HungUpTerminal});
        }
    }
    close(fd);
    bpf_link__destroy(link);
    if (!ok) {
        ++failures_;
        return std::nullopt;
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.fd < b.fd; });
    return out;
}

}  // namespace hupwatch
