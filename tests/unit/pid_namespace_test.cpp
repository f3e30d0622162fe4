// The pid namespace facts that need no kernel: /proc against this process's
// namespace (a fake proc root), and how a namespace is described.
#include "pid_namespace.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace hupwatch {
namespace {

namespace fs = std::filesystem;

class FakeProcRoot : public ::testing::Test {
   protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "hupwatch-pidns-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        root_ = tmpl;
    }
    void TearDown() override { fs::remove_all(root_); }
    // /proc/self is a symlink to the reader's pid as /proc's namespace numbers it.
    void self_is(const std::string& target) { fs::create_symlink(target, root_ / "self"); }
    fs::path root_;
};

TEST_F(FakeProcRoot, ProcOfThisNamespaceNamesThisProcess) {
    self_is(std::to_string(getpid()));
    auto check = check_proc_pid_namespace(root_.string());
    EXPECT_TRUE(check.same);
    EXPECT_EQ(check.detail, "");
}

TEST_F(FakeProcRoot, ProcOfAnotherNamespaceIsToldWithBothNumbers) {
    // unshare --pid --fork without --mount-proc: the host's /proc, pid 1 here.
    const std::string other = std::to_string(getpid() + 100000);
    self_is(other);
    auto check = check_proc_pid_namespace(root_.string());
    EXPECT_FALSE(check.same);
    EXPECT_EQ(check.detail, root_.string() + "/self is " + other + ", this process is " +
                                std::to_string(getpid()) + " here");
}

TEST_F(FakeProcRoot, UnreadableSelfIsNotThisNamespace) {
    auto check = check_proc_pid_namespace(root_.string());
    EXPECT_FALSE(check.same);
    EXPECT_NE(check.detail.find("/self is unreadable"), std::string::npos) << check.detail;
}

TEST(PidNamespace, DescribesTheHostsAndAContainersNamespace) {
    EXPECT_TRUE(PidNamespace{}.initial());
    EXPECT_EQ(PidNamespace{}.describe(), "the initial (host) one");
    PidNamespace container{1, 4026532301U};
    EXPECT_FALSE(container.initial());
    EXPECT_EQ(container.describe(), "pid:[4026532301], level 1 (not the host's)");
}

TEST(PidNamespace, TheRealProcShowsThisProcesssNamespace) {
    // Tests run in the namespace whose /proc they see.
    EXPECT_TRUE(check_proc_pid_namespace().same);
    EXPECT_TRUE(own_pid_namespace_inode().has_value());
}

}  // namespace
}  // namespace hupwatch
