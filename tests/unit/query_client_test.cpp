// The query client's wait is bounded as a whole (docs/cli.md, "Answers for
// ordinary users"): a socket that accepts but never answers, or a daemon
// that trickles bytes without ever finishing its header, is "no daemon
// answering" (exit 17) once the bound has passed, never a wait forever.
#include "query_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "console.h"
#include "exit_codes.h"
#include "query_dispatch.h"

namespace hupwatch {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A unix socket listening at a fresh path under /tmp, never answering.
class SilentListener {
   public:
    SilentListener() {
        path_ = (std::filesystem::temp_directory_path() /
                 ("hupwatch-fake-" + std::to_string(getpid()) + ".sock"))
                    .string();
        std::filesystem::remove(path_);
        fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
        EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
        EXPECT_EQ(listen(fd_, 16), 0);
    }
    ~SilentListener() {
        close(fd_);
        std::filesystem::remove(path_);
    }
    const std::string& path() const { return path_; }
    int fd() const { return fd_; }

   private:
    std::string path_;
    int fd_ = -1;
};

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(QueryClient, ASocketThatNeverAnswersIsNoDaemonOnceTheBoundHasPassed) {
    SilentListener fake;  // connect succeeds (the backlog), nothing is ever read
    AskFailure failure;
    std::string error;
    const auto start = Clock::now();
    auto answer = ask_daemon(fake.path(), QueryRequest{"why", {"1"}}, 1s, failure, error);
    const double took = seconds_since(start);
    EXPECT_FALSE(answer);
    EXPECT_EQ(failure, AskFailure::NoDaemon);
    EXPECT_EQ(error, "no hupwatch daemon answered on " + fake.path() + " within 1 s");
    EXPECT_GE(took, 0.9);
    EXPECT_LT(took, 3.0);
}

TEST(QueryClient, ADaemonTricklingBytesCannotStretchTheBound) {
    SilentListener fake;
    std::atomic<bool> stop{false};
    std::thread trickler([&] {
        int conn = accept(fake.fd(), nullptr, nullptr);
        // One byte of a header that never ends, every 100 ms, for up to 20 s.
        for (int i = 0; i < 200 && !stop; ++i) {
            if (send(conn, "{", 1, MSG_NOSIGNAL) != 1) break;
            std::this_thread::sleep_for(100ms);
        }
        close(conn);
    });
    AskFailure failure;
    std::string error;
    const auto start = Clock::now();
    auto answer = ask_daemon(fake.path(), QueryRequest{"why", {"1"}}, 1s, failure, error);
    const double took = seconds_since(start);
    stop = true;
    trickler.join();
    EXPECT_FALSE(answer);
    EXPECT_EQ(failure, AskFailure::NoDaemon) << error;
    EXPECT_LT(took, 3.0);
}

TEST(QueryClient, TheCliSaysItInOneLineWithTheNoDaemonExitCode) {
    SilentListener fake;
    ConsoleCapture capture;
    const int code = ask_daemon_for("why", {"1"}, fake.path(), "/var/lib/hupwatch/hupwatch.db", 1s);
    EXPECT_EQ(code, kExitNoDaemon);
    EXPECT_EQ(capture.out, "");
    EXPECT_EQ(capture.err,
              "hupwatch: cannot read /var/lib/hupwatch/hupwatch.db (Permission denied), and no "
              "hupwatch daemon answered on " +
                  fake.path() + " within 1 s\n");
}

}  // namespace
}  // namespace hupwatch
