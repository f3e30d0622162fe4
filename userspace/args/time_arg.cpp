#include "time_arg.h"

#include <cctype>
#include <ctime>
#include <limits>
#include <tuple>

namespace hupwatch {
namespace {

constexpr std::int64_t kNsPerSec = 1'000'000'000;

// Reads exactly `digits` decimal digits at pos; advances pos.
std::optional<int> fixed_number(std::string_view text, std::size_t& pos, std::size_t digits) {
    if (pos + digits > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        char c = text[pos + i];
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        value = value * 10 + (c - '0');
    }
    pos += digits;
    return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
    if (pos >= text.size() || text[pos] != c) return false;
    ++pos;
    return true;
}

std::optional<std::int64_t> unit_ns(char unit) {
    switch (unit) {
        case 's':
            return kNsPerSec;
        case 'm':
            return 60 * kNsPerSec;
        case 'h':
            return 3600 * kNsPerSec;
        case 'd':
            return 86400 * kNsPerSec;
        default:
            return std::nullopt;
    }
}

// "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)".
std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
    std::size_t pos = 0;
    auto year = fixed_number(text, pos, 4);
    if (!year || !expect(text, pos, '-')) return std::nullopt;
    auto month = fixed_number(text, pos, 2);
    if (!month || !expect(text, pos, '-')) return std::nullopt;
    auto day = fixed_number(text, pos, 2);
    if (!day || pos >= text.size()) return std::nullopt;
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
    ++pos;
    auto hour = fixed_number(text, pos, 2);
    if (!hour || !expect(text, pos, ':')) return std::nullopt;
    auto minute = fixed_number(text, pos, 2);
    if (!minute || !expect(text, pos, ':')) return std::nullopt;
    auto second = fixed_number(text, pos, 2);
    if (!second) return std::nullopt;
    if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
        *second > 60)
        return std::nullopt;
    std::int64_t nanos = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        std::int64_t scale = kNsPerSec / 10;
        std::size_t digits = 0;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
            nanos += (text[pos] - '0') * scale;
            scale /= 10;
            ++pos;
            ++digits;
        }
        if (digits == 0) return std::nullopt;
    }
    std::int64_t offset_s = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        auto oh = fixed_number(text, pos, 2);
        if (!oh || !expect(text, pos, ':')) return std::nullopt;
        auto om = fixed_number(text, pos, 2);
        if (!om || *oh > 23 || *om > 59) return std::nullopt;
        offset_s = sign * (*oh * 3600 + *om * 60);
    } else {
        return std::nullopt;  // RFC 3339 requires a zone
    }
    if (pos != text.size()) return std::nullopt;
    std::tm tm{};
    tm.tm_year = *year - 1900;
    tm.tm_mon = *month - 1;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = *second;
    std::int64_t seconds = static_cast<std::int64_t>(timegm(&tm)) - offset_s;
    // Times are ns since 1970 in an int64: 1970 to 2262. Found by
    // scripts/fuzz.sh: year 2426 overflowed the multiplication.
    if (seconds < 0 || seconds >= std::numeric_limits<std::int64_t>::max() / kNsPerSec)
        return std::nullopt;
    return seconds * kNsPerSec + nanos;
}

// "HH:MM[:SS]" today in the local zone.
std::optional<std::int64_t> parse_clock_time(std::string_view text, std::int64_t now_wall_ns) {
    std::size_t pos = 0;
    auto hour = fixed_number(text, pos, 2);
    if (!hour || !expect(text, pos, ':')) return std::nullopt;
    auto minute = fixed_number(text, pos, 2);
    if (!minute) return std::nullopt;
    int second = 0;
    if (pos < text.size()) {
        if (!expect(text, pos, ':')) return std::nullopt;
        auto s = fixed_number(text, pos, 2);
        if (!s) return std::nullopt;
        second = *s;
    }
    if (pos != text.size() || *hour > 23 || *minute > 59 || second > 59) return std::nullopt;
    std::time_t now_s = static_cast<std::time_t>(now_wall_ns / kNsPerSec);
    std::tm tm{};
    localtime_r(&now_s, &tm);
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = second;
    tm.tm_isdst = -1;  // let mktime decide for that hour of today
    std::time_t at = mktime(&tm);
    if (at == static_cast<std::time_t>(-1)) return std::nullopt;
    return static_cast<std::int64_t>(at) * kNsPerSec;
}

}  // namespace

std::optional<std::int64_t> parse_duration(std::string_view text) {
    if (text == "0") return 0;
    if (text.size() < 2) return std::nullopt;
    auto unit = unit_ns(text.back());
    if (!unit) return std::nullopt;
    std::int64_t value = 0;
    for (char c : text.substr(0, text.size() - 1)) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        if (value > (std::numeric_limits<std::int64_t>::max() / *unit - 9) / 10)
            return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value * *unit;
}

std::optional<std::int64_t> parse_time_arg(std::string_view text, std::int64_t now_wall_ns,
                                           std::string& error) {
    std::optional<std::int64_t> result;
    if (text == "now") {
        result = now_wall_ns;
    } else if (!text.empty() && text[0] == '-') {
        if (auto d = parse_duration(text.substr(1)); d && *d > 0) result = now_wall_ns - *d;
    } else if (text.size() <= 8) {
        result = parse_clock_time(text, now_wall_ns);
    } else {
        result = parse_rfc3339(text);
    }
    if (!result) error = "bad time '" + std::string(text) + "' (use " + kTimeForms + ")";
    return result;
}

std::optional<TimeWindow> parse_time_window(std::string_view since, std::string_view until,
                                            std::int64_t now_wall_ns, std::string& error) {
    TimeWindow window;
    for (auto [text, name, out] : {std::tuple{since, "--since", &window.since_wall_ns},
                                   std::tuple{until, "--until", &window.until_wall_ns}}) {
        if (text.empty()) continue;
        std::string why;
        *out = parse_time_arg(text, now_wall_ns, why);
        if (!*out) {
            error = std::string(name) + ": " + why;
            return std::nullopt;
        }
    }
    if (window.since_wall_ns && window.until_wall_ns &&
        *window.since_wall_ns > *window.until_wall_ns) {
        error = "--since " + std::string(since) + " is after --until " + std::string(until) +
                ": a reversed range matches nothing";
        return std::nullopt;
    }
    return window;
}

}  // namespace hupwatch
