// OutputLostDigest: a job's once-a-second output_lost reports become one at
// its first failed write and one with the total at its exit (issue 15: 16
// lines for one job in 16 s).
#include "output_lost_digest.h"

#include <gtest/gtest.h>

namespace hupwatch {
namespace {

Event lost(std::uint64_t at, std::uint32_t pid, std::uint64_t start, std::uint64_t writes) {
    OutputLostEvent e;
    e.proc.pid = e.proc.tid = pid;
    e.proc.start_ns = start;
    e.eio_writes = writes;
    e.fd = 1;
    return Event{at, e};
}

TEST(OutputLostDigest, FirstShownRepeatsSwallowedTotalAtExit) {
    OutputLostDigest digest;
    EXPECT_TRUE(digest.admit(lost(10, 42, 5, 1)));
    for (std::uint64_t n = 2; n <= 16; ++n) EXPECT_FALSE(digest.admit(lost(10 + n, 42, 5, n)));
    EXPECT_EQ(digest.repeats(), 15u);
    EXPECT_TRUE(digest.admit(lost(11, 43, 5, 1)));   // another process: its own first line
    EXPECT_EQ(digest.on_exit(42, 6), std::nullopt);  // another process that had the pid
    auto last = digest.on_exit(42, 5);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->ktime_ns, 26u);
    EXPECT_EQ(std::get<OutputLostEvent>(last->body).eio_writes, 16u);
    EXPECT_EQ(digest.on_exit(42, 5), std::nullopt);  // forgotten once told
    EXPECT_EQ(digest.on_exit(43, 5), std::nullopt);  // nothing swallowed: nothing more to say
    EXPECT_TRUE(digest.admit(lost(40, 42, 30, 1)));  // the pid reused: a new job
}

TEST(OutputLostDigest, BoundedByForgettingTheOldest) {
    OutputLostDigest digest;
    for (std::uint32_t pid = 1; pid <= OutputLostDigest::kMaxProcesses + 1; ++pid)
        EXPECT_TRUE(digest.admit(lost(pid, pid, pid, 1)));
    EXPECT_TRUE(digest.admit(lost(9999, 1, 1, 2)));  // the oldest was forgotten: first again
    EXPECT_FALSE(digest.admit(lost(9999, 2, 2, 2)));
}

}  // namespace
}  // namespace hupwatch
