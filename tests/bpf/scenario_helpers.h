// Helpers of the pty scenario tests: find a job by its command line, keep
// orphans for the test (a child subreaper), ask whether a job still runs.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

namespace hupwatch::test {

inline std::string cmdline_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto& c : s)
        if (c == '\0') c = ' ';
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

// The pid whose command line is exactly `cmdline`, polling up to 10 s.
inline std::optional<pid_t> find_process(const std::string& cmdline) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
            auto name = entry.path().filename().string();
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            pid_t pid = std::stoi(name);
            if (cmdline_of(pid) == cmdline) return pid;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
}

// Waits, up to 10 s, until `pid` runs `cmdline`: until bash's forked child
// has exec'd the job. A signal sent before that reaches bash's own handler
// in the child, which defers it and then execs: the job never sees it.
inline bool wait_for_exec(pid_t pid, const std::string& cmdline) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (cmdline_of(pid) != cmdline) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

inline bool alive(pid_t pid) {
    return kill(pid, 0) == 0 && cmdline_of(pid) != "";
}

// Orphans come to the test, which reaps them, instead of to a lazy PID 1.
class SubreaperScope {
   public:
    SubreaperScope() { prctl(PR_SET_CHILD_SUBREAPER, 1); }
    ~SubreaperScope() {
        prctl(PR_SET_CHILD_SUBREAPER, 0);
        while (waitpid(-1, nullptr, WNOHANG) > 0) {
        }
    }
};

}  // namespace hupwatch::test
