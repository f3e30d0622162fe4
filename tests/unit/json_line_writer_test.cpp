// The hand-written JSON writer against nlohmann::json, the reference it
// replaces on the hot path: same bytes for every string, including hostile
// and invalid UTF-8 ones, and for the numbers and structure events use.
#include "json_line_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "boot_clock.h"

using hupwatch::append_json_escaped;
using hupwatch::BootClock;
using hupwatch::JsonLineWriter;

namespace {

std::string reference(const std::string& bytes) {
    return nlohmann::json(bytes).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ours(const std::string& bytes) {
    std::string out = "\"";
    append_json_escaped(out, bytes);
    out += '"';
    return out;
}

// Bytes drawn so that valid and broken UTF-8 sequences, boundary lead and
// continuation bytes, escapes and plain ASCII all turn up often.
std::string random_bytes(std::mt19937_64& rng) {
    static const unsigned char kInteresting[] = {
        0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x20, '"',  '\\', '/',  'a',
        0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1,
        0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xfe, 0xff};
    std::uniform_int_distribution<int> length(0, 12);
    std::uniform_int_distribution<int> pick(0, sizeof kInteresting - 1);
    std::uniform_int_distribution<int> any(0, 255);
    std::string s;
    const int n = length(rng);
    for (int i = 0; i < n; ++i)
        s += static_cast<char>(rng() % 3 == 0 ? any(rng) : kInteresting[pick(rng)]);
    return s;
}

}  // namespace

TEST(JsonLineWriter, EscapesLikeNlohmannForKnownCases) {
    const std::string cases[] = {
        "",
        "plain ascii",
        "quote \" backslash \\ slash /",
        std::string("nul\0inside", 10),
        "\b\f\n\r\t\x01\x1f\x7f",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",  // é € 😀
        "\xff",                                       // never a lead byte
        "\xc3",                                       // truncated at the end
        "\xc3"
        "A",                 // broken before ASCII
        "\xe0\x80\x80",      // overlong
        "\xed\xa0\x80",      // a surrogate
        "\xf4\x90\x80\x80",  // above U+10FFFF
        "\xf0\x9f\x98",      // 4-byte sequence cut short
        "\xe2\x82"
        "\xe2\x82\xac",  // broken, then valid
        "\x80\x80\x80",  // lone continuations
    };
    for (const auto& s : cases) EXPECT_EQ(ours(s), reference(s)) << testing::PrintToString(s);
}

TEST(JsonLineWriter, EscapesLikeNlohmannForRandomBytes) {
    std::mt19937_64 rng(20261128);
    for (int i = 0; i < 200'000; ++i) {
        const std::string s = random_bytes(rng);
        ASSERT_EQ(ours(s), reference(s)) << testing::PrintToString(s);
    }
}

TEST(JsonLineWriter, ObjectsArraysAndNumbersMatchNlohmann) {
    std::string line;
    JsonLineWriter w(line);
    w.begin_object();
    w.key("u"), w.unsigned_number(std::numeric_limits<std::uint64_t>::max());
    w.key("i"), w.signed_number(std::numeric_limits<std::int64_t>::min());
    w.key("zero"), w.signed_number(0);
    w.key("neg"), w.signed_number(-5);
    w.key("empty"), w.begin_array();
    w.end_array();
    w.key("list"), w.begin_array();
    w.string("a\xff");
    w.null();
    w.boolean(true);
    w.begin_object();
    w.end_object();
    w.end_array();
    w.key("nested"), w.begin_object();
    w.key("f"), w.boolean(false);
    w.end_object();
    w.key("last"), w.null();
    w.end_object();

    nlohmann::ordered_json j;
    j["u"] = std::numeric_limits<std::uint64_t>::max();
    j["i"] = std::numeric_limits<std::int64_t>::min();
    j["zero"] = 0;
    j["neg"] = -5;
    j["empty"] = nlohmann::ordered_json::array();
    j["list"] = {"a\xff", nullptr, true, nlohmann::ordered_json::object()};
    j["nested"] = {{"f", false}};
    j["last"] = nullptr;
    EXPECT_EQ(line, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

TEST(BootClock, AppendRfc3339MatchesGmtimeAcrossCenturies) {
    // Calendar arithmetic against the C library over leap years, century
    // rules and month ends, from 1900 to 2261 (the range of int64 ns).
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::int64_t> seconds(-2'208'988'800LL, 9'200'000'000LL);
    for (int i = 0; i < 100'000; ++i) {
        const std::int64_t s = seconds(rng);
        const std::int64_t micros = static_cast<std::int64_t>(rng() % 1'000'000);
        const BootClock clock(s * 1'000'000'000 + micros * 1000);
        std::string ours_time;
        clock.append_rfc3339(ours_time, 0);
        const std::time_t t = s;
        std::tm tm{};
        gmtime_r(&t, &tm);
        char expected[128];
        std::snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, static_cast<long long>(micros));
        ASSERT_EQ(ours_time, expected) << s;
    }
}
