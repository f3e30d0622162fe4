#include "time_arg.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace hupwatch {
namespace {

constexpr std::int64_t kSec = 1'000'000'000;
// 2026-11-28T14:03:07Z
constexpr std::int64_t kNow = 1795874587LL * kSec;

class TimeArgTest : public ::testing::Test {
   protected:
    void SetUp() override {
        const char* tz = std::getenv("TZ");
        saved_ = tz ? tz : "";
        had_ = tz != nullptr;
        setenv("TZ", "Europe/Berlin", 1);  // UTC+1 in November
        tzset();
    }
    void TearDown() override {
        if (had_)
            setenv("TZ", saved_.c_str(), 1);
        else
            unsetenv("TZ");
        tzset();
    }
    std::optional<std::int64_t> parse(const char* text) {
        std::string error;
        return parse_time_arg(text, kNow, error);
    }
    std::string saved_;
    bool had_ = false;
};

TEST_F(TimeArgTest, Rfc3339WithZoneAndFraction) {
    EXPECT_EQ(parse("2026-11-28T14:03:07Z"), kNow);
    EXPECT_EQ(parse("2026-11-28T15:03:07+01:00"), kNow);
    EXPECT_EQ(parse("2026-11-28T10:03:07-04:00"), kNow);
    EXPECT_EQ(parse("2026-11-28 14:03:07.120Z"), kNow + 120'000'000);
    EXPECT_EQ(parse("2026-11-28T14:03:07.000000001Z"), kNow + 1);
}

TEST_F(TimeArgTest, ClockTimeIsTodayLocal) {
    EXPECT_EQ(parse("15:03"), kNow - 7 * kSec);
    EXPECT_EQ(parse("15:03:07"), kNow);
    EXPECT_EQ(parse("00:00:00"), kNow - (15 * 3600 + 3 * 60 + 7) * kSec);
}

TEST_F(TimeArgTest, Relative) {
    EXPECT_EQ(parse("now"), kNow);
    EXPECT_EQ(parse("-15m"), kNow - 900 * kSec);
    EXPECT_EQ(parse("-2h"), kNow - 7200 * kSec);
    EXPECT_EQ(parse("-1d"), kNow - 86400 * kSec);
    EXPECT_EQ(parse("-30s"), kNow - 30 * kSec);
}

TEST_F(TimeArgTest, RejectsWithOneLine) {
    for (const char* bad : {"", "yesterday", "25:00", "14:60", "2026-11-28T14:03:07", "-5x", "-m",
                            "2026-13-01T00:00:00Z", "14:03:07:01", "-0m",
                            // Outside 1970..2262, the range of int64 ns (found by fuzzing).
                            "2426-11-28T14:03:07.120+02:00", "1969-12-31T23:59:59Z"}) {
        std::string error;
        EXPECT_FALSE(parse_time_arg(bad, kNow, error)) << bad;
        EXPECT_NE(error.find("bad time"), std::string::npos) << bad;
        EXPECT_EQ(error.find('\n'), std::string::npos);
    }
}

// --since after --until matches nothing: bad usage, said in one line
// (issue 15: replay printed nothing and exited 0).
TEST_F(TimeArgTest, ReversedWindowIsAnError) {
    std::string error;
    EXPECT_EQ(parse_time_window("15:40", "15:30", kNow, error), std::nullopt);
    EXPECT_EQ(error, "--since 15:40 is after --until 15:30: a reversed range matches nothing");
    auto window = parse_time_window("15:30", "15:40", kNow, error);
    ASSERT_TRUE(window);
    EXPECT_EQ(*window->until_wall_ns - *window->since_wall_ns, 600 * kSec);
    window = parse_time_window("", "-1h", kNow, error);
    ASSERT_TRUE(window);
    EXPECT_EQ(window->since_wall_ns, std::nullopt);
    EXPECT_EQ(window->until_wall_ns, kNow - 3600 * kSec);
    EXPECT_EQ(parse_time_window("-1h", "garbage", kNow, error), std::nullopt);
    EXPECT_EQ(error.rfind("--until: bad time 'garbage' (use RFC 3339", 0), 0u) << error;
}

TEST(DurationTest, Units) {
    EXPECT_EQ(parse_duration("30d"), 30LL * 86400 * kSec);
    EXPECT_EQ(parse_duration("12h"), 12LL * 3600 * kSec);
    EXPECT_EQ(parse_duration("90m"), 90LL * 60 * kSec);
    EXPECT_EQ(parse_duration("45s"), 45LL * kSec);
    EXPECT_EQ(parse_duration("0"), 0);
    EXPECT_FALSE(parse_duration("30"));
    EXPECT_FALSE(parse_duration("d"));
    EXPECT_FALSE(parse_duration("3w"));
    EXPECT_FALSE(parse_duration("99999999999999999999d"));
}

}  // namespace
}  // namespace hupwatch
