// Every log line goes to stderr, one line starting "hupwatch: "; stdout
// (where `run --events.json -` writes JSON lines) gets none (QA: a full disk
// put spdlog's "[date] [error] ..." lines into the JSON stream).
#include "log_lines.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace hupwatch {
namespace {

TEST(LogLines, OneLineStartingWithTheProgramsName) {
    EXPECT_EQ(log_line("writing events to full/ev.json failed: No space left on device"),
              "hupwatch: writing events to full/ev.json failed: No space left on device\n");
    EXPECT_EQ(log_line("hupwatch: event store h.db failed on COMMIT: disk full"),
              "hupwatch: event store h.db failed on COMMIT: disk full\n");
    EXPECT_EQ(log_line("sqlite says:\nline two\r\n"), "hupwatch: sqlite says: line two  \n");
}

// fd 1 and fd 2 into files while it lives.
class CapturedStdStreams {
   public:
    CapturedStdStreams() {
        for (int fd : {1, 2}) {
            std::fflush(fd == 1 ? stdout : stderr);
            paths_[fd - 1] =
                (std::filesystem::temp_directory_path() /
                 ("hupwatch-log-" + std::to_string(getpid()) + "-" + std::to_string(fd)))
                    .string();
            saved_[fd - 1] = ::dup(fd);
            std::FILE* f = std::fopen(paths_[fd - 1].c_str(), "w");
            ::dup2(fileno(f), fd);
            std::fclose(f);
        }
    }
    ~CapturedStdStreams() { restore(); }
    void restore() {
        for (int fd : {1, 2}) {
            if (saved_[fd - 1] < 0) continue;
            std::fflush(fd == 1 ? stdout : stderr);
            ::dup2(saved_[fd - 1], fd);
            ::close(saved_[fd - 1]);
            saved_[fd - 1] = -1;
        }
    }
    std::string text(int fd) const {
        std::ifstream in(paths_[fd - 1]);
        std::stringstream s;
        s << in.rdbuf();
        std::filesystem::remove(paths_[fd - 1]);
        return s.str();
    }

   private:
    std::string paths_[2];
    int saved_[2] = {-1, -1};
};

TEST(LogLines, TheDefaultLoggerWritesThemToStderrOnly) {
    auto previous = spdlog::default_logger();
    std::string out, err;
    {
        CapturedStdStreams captured;
        send_logs_to_stderr();
        spdlog::error("writing events to {} failed: {}", "full/ev.json", "No space left on device");
        spdlog::warn("hupwatch: event store queue full; {} items dropped so far", 12);
        spdlog::default_logger()->flush();
        captured.restore();
        out = captured.text(1);
        err = captured.text(2);
    }
    spdlog::set_default_logger(previous);
    EXPECT_EQ(out, "");
    EXPECT_EQ(err,
              "hupwatch: writing events to full/ev.json failed: No space left on device\n"
              "hupwatch: event store queue full; 12 items dropped so far\n");
}

}  // namespace
}  // namespace hupwatch
