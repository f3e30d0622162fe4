// Child processes for BPF tests. After fork() the child only makes plain
// system calls: the test process has other threads.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

namespace hupwatch::test {

// One-shot readiness signal from a child to the test.
class ReadyPipe {
   public:
    ReadyPipe() {
        if (pipe2(fds_, O_CLOEXEC) != 0) fds_[0] = fds_[1] = -1;
    }
    ~ReadyPipe() {
        close_read();
        close_write();
    }
    void signal_ready() {
        char c = 1;
        [[maybe_unused]] auto n = write(fds_[1], &c, 1);
    }
    // True when the child signalled within timeout_ms.
    bool wait_ready(int timeout_ms = 10000) {
        close_write();
        fd_set set;
        FD_ZERO(&set);
        FD_SET(fds_[0], &set);
        timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        if (select(fds_[0] + 1, &set, nullptr, nullptr, &tv) <= 0) return false;
        char c;
        return read(fds_[0], &c, 1) == 1;
    }
    void close_read() {
        if (fds_[0] >= 0) close(fds_[0]);
        fds_[0] = -1;
    }
    void close_write() {
        if (fds_[1] >= 0) close(fds_[1]);
        fds_[1] = -1;
    }

   private:
    int fds_[2];
};

// Forks; the child runs body and _exits with its result.
inline pid_t spawn(const std::function<int()>& body) {
    pid_t pid = fork();
    if (pid == 0) _exit(body());
    return pid;
}

// The raw wait status of pid, or -1.
inline int reap(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return status;
}

// /proc/PID/stat field 22: start time in clock ticks since boot. It is
// task->start_boottime / (NSEC_PER_SEC / USER_HZ), so it must equal our
// start_ns divided the same way.
inline std::uint64_t proc_start_ticks(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i)
        if (i == 22) return std::stoull(field);
    return 0;
}

inline std::uint64_t ns_to_ticks(std::uint64_t ns) {
    return ns / (1'000'000'000ULL / static_cast<std::uint64_t>(sysconf(_SC_CLK_TCK)));
}

}  // namespace hupwatch::test
