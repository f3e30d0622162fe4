// JSON-lines file sink: rotation keeps every line whole, in order.
#include "json_lines_sink.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "size_arg.h"

namespace hupwatch {
namespace {

namespace fs = std::filesystem;

class TempDir {
   public:
    TempDir() {
        char tmpl[] = "/tmp/hupwatch-json-XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path_); }
    const std::string& path() const { return path_; }

   private:
    std::string path_;
};

Event exec_event(std::uint32_t pid, const std::string& arg) {
    ExecEvent e;
    e.proc.pid = e.proc.tid = pid;
    e.proc.comm = "worker";
    e.filename = "/bin/worker";
    e.argv = {"worker", arg};
    return Event{pid, e};
}

std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

TEST(JsonLinesSink, RotationKeepsEveryLineWholeAndInOrder) {
    TempDir dir;
    const std::string path = dir.path() + "/events.json";
    JsonLinesSink sink({path, 4096, 100});
    std::string error;
    ASSERT_TRUE(sink.open(error)) << error;
    constexpr std::uint32_t kEvents = 500;
    for (std::uint32_t i = 1; i <= kEvents; ++i) {
        sink.on_event(exec_event(i, std::string(i % 37, 'a')));  // lines of varying length
        if (i % 50 == 0) sink.flush();
    }
    sink.flush();
    EXPECT_GT(sink.rotations(), 5u);
    EXPECT_EQ(sink.lines_written(), kEvents);

    // Oldest file first: path.N ... path.1, path.
    std::vector<std::string> files;
    for (unsigned i = 100; i >= 1; --i)
        if (fs::exists(path + "." + std::to_string(i)))
            files.push_back(path + "." + std::to_string(i));
    files.push_back(path);
    std::uint32_t expected = 1;
    for (const auto& file : files) {
        EXPECT_LE(fs::file_size(file), 4096u) << file;
        for (const auto& line : lines_of(file)) {
            auto j = nlohmann::json::parse(line);  // throws on a split line
            EXPECT_EQ(j["pid"], expected) << file;
            ++expected;
        }
    }
    EXPECT_EQ(expected, kEvents + 1) << "every line, once";
}

TEST(JsonLinesSink, KeepsAtMostMaxFiles) {
    TempDir dir;
    const std::string path = dir.path() + "/events.json";
    JsonLinesSink sink({path, 1024, 2});
    std::string error;
    ASSERT_TRUE(sink.open(error)) << error;
    for (std::uint32_t i = 1; i <= 200; ++i) sink.on_event(exec_event(i, "x"));
    sink.flush();
    EXPECT_TRUE(fs::exists(path));
    EXPECT_TRUE(fs::exists(path + ".1"));
    EXPECT_TRUE(fs::exists(path + ".2"));
    EXPECT_FALSE(fs::exists(path + ".3"));
    // The newest lines are in the live file.
    auto last = lines_of(path);
    ASSERT_FALSE(last.empty());
    EXPECT_EQ(nlohmann::json::parse(last.back())["pid"], 200);
}

TEST(JsonLinesSink, ReopenFollowsAnExternalRename) {
    TempDir dir;
    const std::string path = dir.path() + "/events.json";
    JsonLinesSink sink({path, 0, 0});
    std::string error;
    ASSERT_TRUE(sink.open(error));
    sink.on_event(exec_event(1, "before"));
    sink.flush();
    fs::rename(path, path + ".old");  // what logrotate does
    ASSERT_TRUE(sink.reopen(error)) << error;
    sink.on_event(exec_event(2, "after"));
    sink.flush();
    EXPECT_EQ(lines_of(path + ".old").size(), 1u);
    ASSERT_EQ(lines_of(path).size(), 1u);
    EXPECT_EQ(nlohmann::json::parse(lines_of(path)[0])["pid"], 2);
}

unsigned mode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 07777;
}

// The file holds every user's argv: an existing one left 0644 (by an older
// hupwatch, or logrotate's `create 0644`) gets the store's mode at each open.
TEST(JsonLinesSink, AnExistingReadableFileIsMadePrivate) {
    TempDir dir;
    const std::string path = dir.path() + "/events.json";
    std::ofstream(path) << "{\"older\":true}\n";
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    JsonLinesSink sink({path, 0, 5});
    std::string error;
    ASSERT_TRUE(sink.open(error)) << error;
    EXPECT_EQ(mode_of(path), 0640u);
    ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
    ASSERT_TRUE(sink.reopen(error)) << error;
    EXPECT_EQ(mode_of(path), 0640u);
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    ASSERT_TRUE(sink.reopen(error)) << error;
    EXPECT_EQ(mode_of(path), 0600u) << "a stricter mode is kept";
    EXPECT_EQ(lines_of(path).front(), "{\"older\":true}") << "appended to, not replaced";
}

TEST(JsonLinesSink, UnwritablePathIsAOneLineError) {
    JsonLinesSink sink({"/nonexistent-dir/x/events.json", 0, 0});
    std::string error;
    EXPECT_FALSE(sink.open(error));
    EXPECT_EQ(error,
              "hupwatch: cannot open --events.json /nonexistent-dir/x/events.json: No such "
              "file or directory");
}

TEST(SizeArg, Parses) {
    EXPECT_EQ(parse_size("4096"), 4096u);
    EXPECT_EQ(parse_size("64K"), 65536u);
    EXPECT_EQ(parse_size("100M"), 100ULL << 20);
    EXPECT_EQ(parse_size("2GiB"), 2ULL << 30);
    EXPECT_EQ(parse_size("1kb"), 1024u);
    EXPECT_EQ(parse_size("0"), 0u);
    EXPECT_FALSE(parse_size(""));
    EXPECT_FALSE(parse_size("M"));
    EXPECT_FALSE(parse_size("10X"));
    EXPECT_FALSE(parse_size("-5"));
    EXPECT_FALSE(parse_size("99999999999999999999"));
    EXPECT_FALSE(parse_size("17179869184G"));
}

}  // namespace
}  // namespace hupwatch
