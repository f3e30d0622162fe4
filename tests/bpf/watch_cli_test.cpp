// `hupwatch watch --json` end to end, as a user runs it: the real binary, its
// stdout parsed line by line, stopped by SIGINT with exit code 0.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "event_capture.h"
#include "marker_reader.h"
#include "skip_or_fail.h"
#include "test_process.h"

namespace hupwatch::test {
namespace {

// A child process with stdout and stderr on pipes, read with bounded waits.
class RunningBinary {
   public:
    explicit RunningBinary(std::vector<std::string> args) {
        int out[2], err[2];
        if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return;
        pid_ = fork();
        if (pid_ == 0) {
            dup2(out[1], 1);
            dup2(err[1], 2);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(out[1]);
        close(err[1]);
        out_ = out[0];
        err_ = err[0];
    }
    ~RunningBinary() {
        if (pid_ > 0 && !reaped_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (out_ >= 0) close(out_);
        if (err_ >= 0) close(err_);
    }
    pid_t pid() const { return pid_; }

    // The next full line on fd (stdout or stderr), or nullopt after timeout.
    std::optional<std::string> next_line(bool from_stderr, std::chrono::milliseconds timeout) {
        auto line = from_stderr ? err_reader_.wait_for(err_, "\n", timeout)
                                : out_reader_.wait_for(out_, "\n", timeout);
        if (line) line->pop_back();  // the newline
        return line;
    }
    int wait_exit() {
        int status = reap(pid_);
        reaped_ = true;
        return status;
    }
    // The exit status, or nullopt if it is still running after timeout.
    std::optional<int> wait_exit_within(std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        do {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                reaped_ = true;
                return status;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } while (std::chrono::steady_clock::now() < deadline);
        return std::nullopt;
    }
    // Sends SIGINT and keeps reading stdout until the exit (a busy host may
    // have queued more than the pipe holds, and a reader that keeps reading
    // gets every line flushed first): the status, or nullopt after timeout.
    std::optional<int> interrupt_and_drain(std::chrono::milliseconds timeout) {
        if (kill(pid_, SIGINT) != 0) return std::nullopt;
        std::optional<int> status;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!(status = wait_exit_within(std::chrono::milliseconds(20))) &&
               std::chrono::steady_clock::now() < deadline)
            while (next_line(false, std::chrono::milliseconds(10))) {
            }
        return status;
    }
    // Bytes written to stdout and not read yet.
    int stdout_pending() const {
        int n = 0;
        return ioctl(out_, FIONREAD, &n) == 0 ? n : -1;
    }

   private:
    pid_t pid_ = -1;
    int out_ = -1, err_ = -1;
    bool reaped_ = false;
    MarkerReader out_reader_{false}, err_reader_{false};
};

TEST(WatchCli, JsonStreamShowsOurExecAndExitThenStopsCleanlyOnSigint) {
    if (geteuid() != 0) HUPWATCH_SKIP_OR_FAIL_UNDER_CI("BPF tests need root");
    RunningBinary watch({HUPWATCH_BINARY, "watch", "--json"});
    ASSERT_GT(watch.pid(), 0);
    auto ready = watch.next_line(true, std::chrono::seconds(20));
    ASSERT_TRUE(ready) << "hupwatch watch printed nothing on stderr";
    ASSERT_NE(ready->find("hupwatch: watching"), std::string::npos) << *ready;

    const std::string marker = "hupwatch-cli-test-" + std::to_string(getpid());
    pid_t child = spawn([&]() -> int {
        execl("/bin/sh", "sh", "-c", "exit 3", marker.c_str(), static_cast<char*>(nullptr));
        return 127;
    });
    ASSERT_EQ(WEXITSTATUS(reap(child)), 3);

    bool saw_exec = false, saw_exit = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while ((!saw_exec || !saw_exit) && std::chrono::steady_clock::now() < deadline) {
        auto line = watch.next_line(false, std::chrono::seconds(1));
        if (!line) continue;
        auto j = nlohmann::json::parse(*line);  // every line must be valid JSON
        ASSERT_TRUE(j.contains("event") && j.contains("time") && j.contains("pid")) << *line;
        if (j["pid"] != child) continue;
        if (j["event"] == "exec") {
            saw_exec = true;
            EXPECT_EQ(j["filename"], "/bin/sh");
            EXPECT_EQ(j["argv"], nlohmann::json::array({"sh", "-c", "exit 3", marker}));
            EXPECT_EQ(j["argv_truncated"], false);
            EXPECT_EQ(j["ppid"], getpid());
        } else if (j["event"] == "exit") {
            saw_exit = true;
            EXPECT_EQ(j["exit_code"], 3);
            EXPECT_TRUE(j["signal"].is_null());
            EXPECT_EQ(j["core_dumped"], false);
        }
    }
    EXPECT_TRUE(saw_exec);
    EXPECT_TRUE(saw_exit);

    auto exit_status = watch.interrupt_and_drain(std::chrono::seconds(10));
    ASSERT_TRUE(exit_status) << "SIGINT did not stop hupwatch watch";
    const int status = *exit_status;
    ASSERT_TRUE(WIFEXITED(status)) << "hupwatch died instead of exiting";
    EXPECT_EQ(WEXITSTATUS(status), 0);
    auto summary = watch.next_line(true, std::chrono::seconds(2));
    ASSERT_TRUE(summary);
    EXPECT_NE(summary->find("hupwatch: stopped after"), std::string::npos) << *summary;
}

// Secrets leave argv before any sink: the JSON stream shows *** and says
// so, and the secret appears nowhere in the output.
TEST(WatchCli, SecretsInArgvAreRedactedBeforeTheyArePrinted) {
    if (geteuid() != 0) HUPWATCH_SKIP_OR_FAIL_UNDER_CI("BPF tests need root");
    RunningBinary watch({HUPWATCH_BINARY, "watch", "--json", "--redact", "^--pin=(\\d+)$"});
    ASSERT_GT(watch.pid(), 0);
    auto ready = watch.next_line(true, std::chrono::seconds(20));
    ASSERT_TRUE(ready && ready->find("hupwatch: watching") != std::string::npos);

    const std::string secret = "hunter2-" + std::to_string(getpid());
    const std::string pw = "--password=" + secret, url = "https://bob:" + secret + "@db/x",
                      env = "PGPASSWORD=" + secret, pin = "--pin=4242";
    pid_t child = spawn([&]() -> int {
        execl("/bin/sh", "sh", "-c", "exit 0", pw.c_str(), "--token", secret.c_str(), url.c_str(),
              env.c_str(), pin.c_str(), static_cast<char*>(nullptr));
        return 127;
    });
    ASSERT_EQ(WEXITSTATUS(reap(child)), 0);

    bool saw_exec = false, saw_exit = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!saw_exit && std::chrono::steady_clock::now() < deadline) {
        auto line = watch.next_line(false, std::chrono::seconds(1));
        if (!line) continue;
        EXPECT_EQ(line->find(secret), std::string::npos) << *line;
        auto j = nlohmann::json::parse(*line);
        if (j["pid"] != child) continue;
        if (j["event"] == "exec") {
            saw_exec = true;
            EXPECT_EQ(j["argv"], nlohmann::json::array({"sh", "-c", "exit 0", "--password=***",
                                                        "--token", "***", "https://bob:***@db/x",
                                                        "PGPASSWORD=***", "--pin=***"}));
            EXPECT_EQ(j["argv_redacted"], true);
        }
        if (j["event"] == "exit") saw_exit = true;
    }
    EXPECT_TRUE(saw_exec);
    EXPECT_TRUE(saw_exit);
    ASSERT_EQ(kill(watch.pid(), SIGINT), 0);
    EXPECT_EQ(WEXITSTATUS(watch.wait_exit()), 0);
}

// Microseconds since the epoch of an event's "time" (RFC 3339, UTC, µs).
std::int64_t time_us(const std::string& rfc3339) {
    std::tm tm{};
    int micros = 0;
    if (sscanf(rfc3339.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &micros) != 7)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1'000'000 + micros;
}

// --setsid-moments, as a user passes it: a setsid() followed by 300 ms of
// sleep is reported at the call, not at the next event that shows the new
// session (the exit, without the flag), and the listener is in use.
TEST(WatchCli, SetsidMomentsReportTheCallWhenItHappens) {
    if (geteuid() != 0) HUPWATCH_SKIP_OR_FAIL_UNDER_CI("BPF tests need root");
    RunningBinary watch({HUPWATCH_BINARY, "watch", "--json", "--setsid-moments"});
    ASSERT_GT(watch.pid(), 0);
    auto ready = watch.next_line(true, std::chrono::seconds(20));
    ASSERT_TRUE(ready && ready->find("hupwatch: watching") != std::string::npos);

    pid_t child = spawn([]() -> int {
        if (setsid() < 0) return 1;
        usleep(300'000);
        return 0;
    });
    ASSERT_EQ(WEXITSTATUS(reap(child)), 0);

    std::optional<nlohmann::json> setsid, exit;
    int setsid_events = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!exit && std::chrono::steady_clock::now() < deadline) {
        auto line = watch.next_line(false, std::chrono::seconds(1));
        if (!line) continue;
        auto j = nlohmann::json::parse(*line);
        if (j["pid"] != child) continue;
        if (j["event"] == "setsid") {
            ++setsid_events;
            setsid = j;
        }
        if (j["event"] == "exit") exit = j;
    }
    ASSERT_TRUE(exit) << "no exit event for " << child;
    ASSERT_TRUE(setsid) << "no setsid event for " << child;
    EXPECT_EQ(setsid_events, 1);
    EXPECT_EQ((*setsid)["ret"], child);
    EXPECT_EQ((*setsid)["sid"], child);
    const auto at_call = time_us((*setsid)["time"].get<std::string>());
    const auto at_exit = time_us((*exit)["time"].get<std::string>());
    ASSERT_GT(at_call, 0);
    EXPECT_GE(at_exit - at_call, 250'000) << "setsid reported at " << (*setsid)["time"]
                                          << ", exit at " << (*exit)["time"] << ": not at the call";

    auto status = watch.interrupt_and_drain(std::chrono::seconds(10));
    ASSERT_TRUE(status) << "SIGINT did not stop hupwatch watch";
    EXPECT_EQ(WEXITSTATUS(*status), 0);
    // The fallback says so on stderr; with the listener in use nothing does.
    while (auto line = watch.next_line(true, std::chrono::milliseconds(200)))
        EXPECT_EQ(line->find("setsid events are derived"), std::string::npos) << *line;
}

// `hupwatch watch | reader` where the reader stops reading: the pipe fills
// and write(2) would block for good; Ctrl-C must still stop it, and say
// what it could not write.
TEST(WatchCli, SigintStopsItWhileItsReaderHasStoppedReading) {
    if (geteuid() != 0) HUPWATCH_SKIP_OR_FAIL_UNDER_CI("BPF tests need root");
    RunningBinary watch({HUPWATCH_BINARY, "watch", "--json"});
    ASSERT_GT(watch.pid(), 0);
    auto ready = watch.next_line(true, std::chrono::seconds(20));
    ASSERT_TRUE(ready && ready->find("hupwatch: watching") != std::string::npos);
    // Our own processes fill the pipe, whatever else the host does; stdout
    // is never read. Full: the bytes in it stop growing for 3 s while we go
    // on making lines (more than the 1 s watch holds lines to order them).
    // A pipe's fill varies with how its writes packed its pages.
    int last = -1, unchanged_rounds = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (unchanged_rounds < 30 && std::chrono::steady_clock::now() < deadline) {
        for (int i = 0; i < 20; ++i) reap(spawn([] { return 0; }));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const int pending = watch.stdout_pending();
        unchanged_rounds = pending == last ? unchanged_rounds + 1 : 0;
        last = pending;
    }
    ASSERT_EQ(unchanged_rounds, 30) << "the pipe never filled";
    ASSERT_GT(last, 4096);

    ASSERT_EQ(kill(watch.pid(), SIGINT), 0);
    auto status = watch.wait_exit_within(std::chrono::seconds(5));
    ASSERT_TRUE(status) << "SIGINT did not stop hupwatch watch with its stdout full";
    ASSERT_TRUE(WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0);
    auto said = watch.next_line(true, std::chrono::seconds(2));
    ASSERT_TRUE(said);
    EXPECT_TRUE(said->starts_with("hupwatch: stopped with ") &&
                said->ends_with(" bytes of lines unwritten: stdout was not being read"))
        << *said;
    auto summary = watch.next_line(true, std::chrono::seconds(2));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->rfind("hupwatch: stopped after", 0), 0u) << *summary;
}

TEST(WatchCli, BadRedactRegexIsAOneLineUsageError) {
    RunningBinary watch({HUPWATCH_BINARY, "watch", "--redact", "(open"});
    auto line = watch.next_line(true, std::chrono::seconds(5));
    ASSERT_TRUE(line);
    EXPECT_EQ(line->rfind("hupwatch: bad --redact regex '(open': ", 0), 0u) << *line;
    int status = watch.wait_exit();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2);
    EXPECT_FALSE(watch.next_line(true, std::chrono::milliseconds(200))) << "more than one line";
}

TEST(WatchCli, BadSignalNameIsAOneLineUsageError) {
    RunningBinary watch({HUPWATCH_BINARY, "watch", "--signals", "HUP,NOPE"});
    auto line = watch.next_line(true, std::chrono::seconds(5));
    ASSERT_TRUE(line);
    EXPECT_EQ(*line, "hupwatch: unknown signal 'NOPE' in --signals");
    int status = watch.wait_exit();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2);
    EXPECT_FALSE(watch.next_line(true, std::chrono::milliseconds(200))) << "more than one line";
}

}  // namespace
}  // namespace hupwatch::test
