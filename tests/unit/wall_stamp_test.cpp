// Time stamps of the stored story: time of day when the day is today's, the
// date too otherwise; milliseconds where a story needs them (gaps).
#include "wall_stamp.h"

#include <gtest/gtest.h>

#include "scoped_time_zone.h"

namespace hupwatch {
namespace {

constexpr std::int64_t kMs = 1'000'000;
// 2026-11-28T14:03:07.120Z
constexpr std::int64_t kAt = 1'795'874'587'000'000'000 + 120 * kMs;

class StoryStamps : public testing::Test {
    test::ScopedTimeZone time_zone_{"UTC"};
};

TEST_F(StoryStamps, TodayIsTheTimeOfDay) {
    EXPECT_EQ(local_stamp(kAt, kAt + 3600 * 1000 * kMs), "14:03:07");
    EXPECT_EQ(local_stamp_ms(kAt, kAt), "14:03:07.120");
    EXPECT_EQ(local_stamp_ms(kAt + 880 * kMs, kAt), "14:03:08.000");
}

TEST_F(StoryStamps, AnotherDayCarriesTheDate) {
    const std::int64_t next_day = kAt + 86'400'000 * kMs;
    EXPECT_EQ(local_stamp(kAt, next_day), "2026-11-28 14:03:07");
    EXPECT_EQ(local_stamp_ms(kAt + 5 * kMs, next_day), "2026-11-28 14:03:07.125");
}

}  // namespace
}  // namespace hupwatch
