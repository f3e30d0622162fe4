#include "hung_up_terminal_scan.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hupwatch_events.h"

namespace hupwatch {
namespace {

// A pty slave whose master is closed: pty_close() (drivers/tty/pty.c) calls
// tty_vhangup() on the slave, which swaps its files' f_op to
// hung_up_tty_fops at once. Opened without becoming anyone's controlling
// terminal, so the hangup signals no one. -1 with why on failure.
int open_hung_up_terminal(std::string& why) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) {
        why = fmt::format("cannot open /dev/ptmx: {}", std::strerror(errno));
        return -1;
    }
    char name[128];
    if (grantpt(master) != 0 || unlockpt(master) != 0 || ptsname_r(master, name, sizeof(name))) {
        why = fmt::format("cannot set up a pty: {}", std::strerror(errno));
        close(master);
        return -1;
    }
    int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) why = fmt::format("cannot open {}: {}", name, std::strerror(errno));
    close(master);
    if (slave < 0) return -1;
    // The proof that it is hung up: its writes fail with EIO.
    if (write(slave, "x", 1) >= 0 || errno != EIO) {
        why = "closing a pty's master did not hang up its slave";
        close(slave);
        return -1;
    }
    return slave;
}

}  // namespace

bool HungUpTerminalScan::run_over(std::uint32_t pid,
                                  const std::function<void(const hw_hung_up_fd&)>& take) {
    // The kernel walks this process's fds only (bpf_iter_link_info.task.pid,
    // Linux 6.1), not the host's.
    union bpf_iter_link_info info;
    std::memset(&info, 0, sizeof(info));
    info.task.pid = pid;
    LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));
    struct bpf_link* link = bpf_program__attach_iter(program_, &opts);
    if (!link) return false;
    int fd = bpf_iter_create(bpf_link__fd(link));
    if (fd < 0) {
        int saved = errno;
        bpf_link__destroy(link);
        errno = saved;
        return false;
    }
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
        for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof(records[0]); ++i)
            take(records[i]);
    }
    int saved = errno;
    close(fd);
    bpf_link__destroy(link);
    errno = saved;
    return ok;
}

bool HungUpTerminalScan::calibrate(std::string& why) {
    if (!program_ || !globals_.calibration_fd || !globals_.hung_up_write_iter) {
        why = "no iterator";
        return false;
    }
    int slave = open_hung_up_terminal(why);
    if (slave < 0) return false;
    *globals_.hung_up_write_iter = 0;
    *globals_.calibration_fd = slave;
    bool ran = run_over(static_cast<std::uint32_t>(getpid()), [](const hw_hung_up_fd&) {});
    *globals_.calibration_fd = -1;
    close(slave);
    if (!ran) {
        why = fmt::format("cannot run the iterator: {}", std::strerror(errno));
        return false;
    }
    calibrated_ = *globals_.hung_up_write_iter != 0;
    if (!calibrated_) why = "the iterator did not see the hung-up terminal";
    return calibrated_;
}

std::optional<std::vector<HungUpFd>> HungUpTerminalScan::scan(std::uint32_t pid,
                                                              std::uint64_t start_ns) {
    if (!program_ || pid == 0) return std::nullopt;
    ++scans_;
    // Without the calibration a hung-up terminal looks like any file: the
    // caller's fallback (fd names) says more than an empty list would.
    if (!calibrated_) {
        ++failures_;
        return std::nullopt;
    }
    std::vector<HungUpFd> out;
    bool ok = run_over(pid, [&](const hw_hung_up_fd& r) {
        // A pid reused between the caller's look and ours is another process.
        if (r.pid != pid || r.start_ns != start_ns) return;
        out.push_back({static_cast<int>(r.fd), r.tty_dev,
                       r.kind == HW_DEAD_FD_WIDOWED_PIPE ? DeadFdKind::WidowedPipe
                                                         : DeadFdKind::HungUpTerminal});
    });
    if (!ok) {
        // ESRCH: the process is gone, so it has no fds at all.
        if (errno == ESRCH) return std::vector<HungUpFd>{};
        ++failures_;
        return std::nullopt;
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.fd < b.fd; });
    return out;
}

}  // namespace hupwatch
