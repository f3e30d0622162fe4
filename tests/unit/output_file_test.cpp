// `report -o PATH` writes what the path names, as a shell's `>` would: a
// device, a FIFO or a symlink's target is written into, never replaced by a
// new regular file; a regular file or a new path is replaced whole, private.
#include "output_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "skip_or_fail.h"

namespace hupwatch {
namespace {

namespace fs = std::filesystem;

class OutputFile : public ::testing::Test {
   protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("hupwatch-output-" + std::to_string(getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string at(const std::string& name) const { return (dir_ / name).string(); }

    static std::string contents(const std::string& path) {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
    static struct stat lstat_of(const std::string& path) {
        struct stat st {};
        EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
        return st;
    }
    // Only the names the test made: no temporary file left behind.
    std::size_t entries() const {
        return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir_), {}));
    }

    fs::path dir_;
};

TEST_F(OutputFile, ANewPathIsCreatedPrivateWhateverTheUmask) {
    const mode_t old = ::umask(0);
    std::string error;
    const bool ok = write_output_file(at("page.html"), "<html>", error);
    ::umask(old);
    ASSERT_TRUE(ok) << error;
    EXPECT_EQ(contents(at("page.html")), "<html>");
    EXPECT_EQ(lstat_of(at("page.html")).st_mode & 07777, 0640u);
    EXPECT_EQ(entries(), 1u);
}

TEST_F(OutputFile, ARegularFileIsReplacedWholeAndPrivate) {
    std::ofstream(at("page.html")) << "an older, longer page";
    ::chmod(at("page.html").c_str(), 0644);
    const ino_t before = lstat_of(at("page.html")).st_ino;
    std::string error;
    ASSERT_TRUE(write_output_file(at("page.html"), "<html>", error)) << error;
    EXPECT_EQ(contents(at("page.html")), "<html>");
    const struct stat st = lstat_of(at("page.html"));
    EXPECT_NE(st.st_ino, before) << "not replaced by a rename";
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    EXPECT_EQ(entries(), 1u);
}

// The old temporary name was PATH.tmp, opened without O_EXCL: a link planted
// there had the page written through it.
TEST_F(OutputFile, ALinkPlantedAtATemporaryNameIsNotFollowed) {
    std::ofstream(at("victim")) << "keep me";
    fs::create_symlink(at("victim"), at("page.html.tmp"));
    std::string error;
    ASSERT_TRUE(write_output_file(at("page.html"), "<html>", error)) << error;
    EXPECT_EQ(contents(at("victim")), "keep me");
    EXPECT_EQ(contents(at("page.html")), "<html>");
}

TEST_F(OutputFile, ASymlinkIsFollowedToItsTargetAndStaysALink) {
    std::ofstream(at("target.txt")) << "an older, longer page";
    ::chmod(at("target.txt").c_str(), 0644);
    fs::create_symlink("target.txt", at("link.html"));
    std::string error;
    ASSERT_TRUE(write_output_file(at("link.html"), "<html>", error)) << error;
    EXPECT_TRUE(S_ISLNK(lstat_of(at("link.html")).st_mode));
    EXPECT_EQ(contents(at("target.txt")), "<html>");
    EXPECT_EQ(lstat_of(at("target.txt")).st_mode & 07777, 0640u) << "narrowed as it holds argv";
    EXPECT_EQ(entries(), 2u);
}

TEST_F(OutputFile, ADanglingSymlinksTargetIsCreatedPrivate) {
    fs::create_symlink("made.html", at("link.html"));
    std::string error;
    ASSERT_TRUE(write_output_file(at("link.html"), "<html>", error)) << error;
    EXPECT_TRUE(S_ISLNK(lstat_of(at("link.html")).st_mode));
    EXPECT_EQ(contents(at("made.html")), "<html>");
    EXPECT_EQ(lstat_of(at("made.html")).st_mode & 07777, 0640u);
}

TEST_F(OutputFile, AFifoIsWrittenIntoNotReplaced) {
    ASSERT_EQ(::mkfifo(at("pipe").c_str(), 0600), 0);
    // A reader first, so the writer's open does not wait for one.
    int reader = ::open(at("pipe").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ASSERT_GE(reader, 0);
    std::string error;
    const bool ok = write_output_file(at("pipe"), "<html>", error);
    char buf[64] = {};
    const ssize_t n = ::read(reader, buf, sizeof(buf));
    ::close(reader);
    ASSERT_TRUE(ok) << error;
    EXPECT_TRUE(S_ISFIFO(lstat_of(at("pipe")).st_mode));
    ASSERT_EQ(n, 6);
    EXPECT_EQ(std::string(buf, 6), "<html>");
    EXPECT_EQ(entries(), 1u);
}

// QA's case: as root, `-o /dev/null` left a regular file where the null
// device was. Made under the test's folder, never the real /dev/null.
TEST_F(OutputFile, ADeviceIsWrittenIntoNotReplaced) {
    if (::mknod(at("mynull").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0)
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI("cannot make a device node here (needs CAP_MKNOD)");
    ::chmod(at("mynull").c_str(), 0666);  // past the umask
    std::string error;
    ASSERT_TRUE(write_output_file(at("mynull"), "<html>", error)) << error;
    const struct stat st = lstat_of(at("mynull"));
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(1, 3));
    EXPECT_EQ(st.st_mode & 07777, 0666u) << "a device's mode is not the page's to change";
    EXPECT_EQ(entries(), 1u);
}

TEST_F(OutputFile, ADirectoryIsAOneLineErrorAndStaysADirectory) {
    fs::create_directory(at("d"));
    std::string error;
    EXPECT_FALSE(write_output_file(at("d"), "<html>", error));
    EXPECT_EQ(error, "hupwatch: cannot write " + at("d") + ": Is a directory");
    EXPECT_TRUE(S_ISDIR(lstat_of(at("d")).st_mode));
    EXPECT_EQ(entries(), 1u);
}

// A regular file is replaced by a new one made beside it, so a directory
// that takes no new file (another user's, as an ordinary user; /proc, even
// for root) refuses it: the error names the directory, not the file.
TEST_F(OutputFile, ADirectoryThatTakesNoNewFileIsNamed) {
    std::string error;
    EXPECT_FALSE(write_output_file("/proc/version", "<html>", error));
    EXPECT_EQ(error.rfind("hupwatch: cannot write /proc/version: cannot create a file beside it "
                          "in /proc: ",
                          0),
              0u)
        << error;
    EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST_F(OutputFile, AMissingDirectoryIsAOneLineError) {
    std::string error;
    EXPECT_FALSE(write_output_file(at("no/page.html"), "<html>", error));
    EXPECT_EQ(error,
              "hupwatch: cannot write " + at("no/page.html") + ": No such file or directory");
}

}  // namespace
}  // namespace hupwatch
