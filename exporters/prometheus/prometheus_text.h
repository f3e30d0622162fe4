// The Prometheus data model as hupwatch exposes it (families of samples, no
// timestamps) and its rendering in the text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hupwatch {

enum class MetricType { Counter, Gauge };

using MetricLabels = std::vector<std::pair<std::string, std::string>>;  // name, value

struct MetricSample {
    MetricLabels labels;  // same names, same order, in every sample of a family
    double value = 0;
};

struct MetricFamily {
    std::string name;
    MetricType type = MetricType::Counter;
    std::string help;
    std::vector<MetricSample> samples;
};

// What one scrape sees: built whole, then never changed (shared read-only
// between the event thread that builds it and the HTTP threads).
struct MetricsSnapshot {
    std::vector<MetricFamily> families;
};

// Appends a family of one sample without labels (most counters and gauges).
void add_single_sample(std::vector<MetricFamily>& out, std::string name, MetricType type,
                       std::string help, double value);
// A counter of one sample without labels, from an integer count.
void add_counter(std::vector<MetricFamily>& out, std::string name, std::string help,
                 std::uint64_t value);

inline constexpr std::string_view kPrometheusTextContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// The whole exposition. Families sorted by name, samples by label values,
// so two renders of equal state are byte-identical and diff well.
std::string render_prometheus_text(const MetricsSnapshot& snapshot);

// Label values come from processes (comm): invalid UTF-8 becomes U+FFFD,
// then backslash, double quote and newline are escaped.
std::string escape_label_value(std::string_view value);
// HELP text: invalid UTF-8 becomes U+FFFD; backslash and newline escaped.
std::string escape_help(std::string_view text);
// Integral values without exponent ("42"), others in the shortest form that
// reads back exactly ("0.25"), and "NaN", "+Inf", "-Inf".
std::string format_sample_value(double value);
// Invalid byte sequences replaced by U+FFFD, one per maximal invalid subpart.
std::string sanitize_utf8(std::string_view text);

}  // namespace hupwatch
