// When the event store hands back a burst's memory: time passed in.
#include "burst_release.h"

#include <gtest/gtest.h>

namespace hupwatch {
namespace {

using namespace std::chrono_literals;
using Clock = BurstRelease::Clock;

class BurstReleaseTest : public ::testing::Test {
   protected:
    BurstRelease policy{
        BurstRelease::Options{.burst_rows = 8'192, .quiet_rows = 1'024, .period = 1s}};
    Clock::time_point t{};
    // `rows` in each 250 ms batch for `seconds`; how many releases came.
    int run(std::size_t rows, int seconds) {
        int releases = 0;
        for (int i = 0; i < seconds * 4; ++i) {
            t += 250ms;
            releases += policy.on_batch(rows, t) ? 1 : 0;
        }
        return releases;
    }
};

TEST_F(BurstReleaseTest, AQuietHostNeverReleases) {
    EXPECT_EQ(run(5, 60), 0) << "20 rows/s: never a burst";
}

TEST_F(BurstReleaseTest, AStormIsReleasedOnceWhenItIsOver) {
    EXPECT_EQ(run(14'000, 10), 0) << "busy: the cache is in use";
    EXPECT_EQ(run(0, 1), 0) << "the storm's tail is in the first quiet period";
    EXPECT_EQ(run(0, 1), 1);
    EXPECT_EQ(run(0, 60), 0) << "once per burst";
}

TEST_F(BurstReleaseTest, AStreamOfMediumBatchesIsABurstToo) {
    // pty sessions: 2,000 rows a second, no batch near a storm's size.
    EXPECT_EQ(run(500, 20), 0);
    EXPECT_EQ(run(5, 3), 1);
}

TEST_F(BurstReleaseTest, ALullInsideABurstIsNotItsEnd) {
    EXPECT_EQ(run(14'000, 2), 0);
    t += 250ms;
    EXPECT_FALSE(policy.on_batch(0, t)) << "one idle tick";
    EXPECT_EQ(run(14'000, 2), 0);
}

TEST_F(BurstReleaseTest, ABurstSmallerThanTheThresholdKeepsItsCache) {
    EXPECT_EQ(run(1'000, 2), 0);  // 8,000 rows
    EXPECT_EQ(run(0, 5), 0);
}

}  // namespace
}  // namespace hupwatch
