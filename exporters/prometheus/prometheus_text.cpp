#include "prometheus_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace hupwatch {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// What a lead byte allows: the sequence length and the range of the second
// byte. The table of well-formed sequences in Unicode 15, section 3.9: no
// overlongs, no surrogates, nothing above U+10FFFF.
struct LeadByte {
    std::size_t length = 0;  // 0: not a lead byte
    unsigned char lo = 0x80, hi = 0xBF;
};

LeadByte lead_byte(unsigned char b0) {
    if (b0 < 0x80) return {1};
    if (b0 >= 0xC2 && b0 <= 0xDF) return {2};
    if (b0 == 0xE0) return {3, 0xA0, 0xBF};
    if (b0 == 0xED) return {3, 0x80, 0x9F};
    if (b0 >= 0xE1 && b0 <= 0xEF) return {3};
    if (b0 == 0xF0) return {4, 0x90, 0xBF};
    if (b0 == 0xF4) return {4, 0x80, 0x8F};
    if (b0 >= 0xF1 && b0 <= 0xF3) return {4};
    return {0};
}

// Bytes at text[i] that fit the sequence its lead byte starts: the whole
// sequence when valid, else the maximal prefix that could have begun one
// (at least 1), so that one U+FFFD replaces it, as Unicode recommends.
// `valid` tells which.
std::size_t sequence_at(std::string_view text, std::size_t i, bool& valid) {
    LeadByte lead = lead_byte(static_cast<unsigned char>(text[i]));
    valid = false;
    if (lead.length == 0) return 1;
    std::size_t n = 1;
    while (n < lead.length && i + n < text.size()) {
        auto b = static_cast<unsigned char>(text[i + n]);
        unsigned char lo = n == 1 ? lead.lo : 0x80;
        unsigned char hi = n == 1 ? lead.hi : 0xBF;
        if (b < lo || b > hi) break;
        ++n;
    }
    valid = n == lead.length;
    return n;
}

template <typename EscapeFn>
std::string escaped(std::string_view text, EscapeFn escape_ascii) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        bool valid = false;
        std::size_t len = sequence_at(text, i, valid);
        if (!valid) {
            out += kReplacement;
            i += len;
        } else if (len == 1) {
            escape_ascii(out, text[i]);
            ++i;
        } else {
            out.append(text.substr(i, len));
            i += len;
        }
    }
    return out;
}

void write_labels(std::string& out, const MetricLabels& labels) {
    if (labels.empty()) return;
    out += '{';
    bool first = true;
    for (const auto& [name, value] : labels) {
        if (!first) out += ',';
        first = false;
        out += name;
        out += "=\"";
        out += escape_label_value(value);
        out += '"';
    }
    out += '}';
}

bool labels_less(const MetricSample* a, const MetricSample* b) {
    return std::lexicographical_compare(a->labels.begin(), a->labels.end(), b->labels.begin(),
                                        b->labels.end(), [](const auto& x, const auto& y) {
                                            return std::tie(x.first, x.second) <
                                                   std::tie(y.first, y.second);
                                        });
}

}  // namespace

std::string sanitize_utf8(std::string_view text) {
    return escaped(text, [](std::string& out, char c) { out += c; });
}

std::string escape_label_value(std::string_view value) {
    return escaped(value, [](std::string& out, char c) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    });
}

std::string escape_help(std::string_view text) {
    return escaped(text, [](std::string& out, char c) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    });
}

std::string format_sample_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    // Below 2^53 every integer is exact as a double; print it as one.
    constexpr double kExactIntegers = 9007199254740992.0;
    if (value == std::trunc(value) && std::fabs(value) < kExactIntegers)
        return fmt::format("{}", static_cast<std::int64_t>(value));
    return fmt::format("{}", value);
}

std::string render_prometheus_text(const MetricsSnapshot& snapshot) {
    std::vector<const MetricFamily*> families;
    families.reserve(snapshot.families.size());
    for (const auto& family : snapshot.families) families.push_back(&family);
    std::stable_sort(families.begin(), families.end(),
                     [](const auto* a, const auto* b) { return a->name < b->name; });

    std::string out;
    std::vector<const MetricSample*> samples;
    for (const MetricFamily* family : families) {
        out += fmt::format("# HELP {} {}\n", family->name, escape_help(family->help));
        out += fmt::format("# TYPE {} {}\n", family->name,
                           family->type == MetricType::Counter ? "counter" : "gauge");
        samples.clear();
        for (const auto& sample : family->samples) samples.push_back(&sample);
        std::stable_sort(samples.begin(), samples.end(), labels_less);
        for (const MetricSample* sample : samples) {
            out += family->name;
            write_labels(out, sample->labels);
            out += ' ';
            out += format_sample_value(sample->value);
            out += '\n';
        }
    }
    return out;
}

void add_single_sample(std::vector<MetricFamily>& out, std::string name, MetricType type,
                       std::string help, double value) {
    out.push_back(MetricFamily{std::move(name), type, std::move(help), {MetricSample{{}, value}}});
}

void add_counter(std::vector<MetricFamily>& out, std::string name, std::string help,
                 std::uint64_t value) {
    add_single_sample(out, std::move(name), MetricType::Counter, std::move(help),
                      static_cast<double>(value));
}

}  // namespace hupwatch
