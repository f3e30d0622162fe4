// The exposition's metric families equal the ones docs/metrics.md documents
// (issue 9: counters were kept and never exported, or exported and never
// documented). Metric names are a public contract: a family added without
// its documentation, or documented and gone, fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "metrics_state.h"
#include "prometheus_text.h"

namespace hupwatch {
namespace {

std::set<std::string> exposed_families() {
    MetricsStateOptions options;
    options.proc_root = "/proc";  // process_* from this test's own /proc/self
    MetricsState state(options);
    MonitorCounters counters;
    counters.programs.push_back({"handle_fork", 3, 1200});
    state.publish(1'000'000'000ULL, counters, 1);
    std::set<std::string> names;
    std::istringstream text(render_prometheus_text(*state.snapshot()));
    for (std::string line; std::getline(text, line);)
        if (line.rfind("# TYPE ", 0) == 0) names.insert(line.substr(7, line.find(' ', 7) - 7));
    return names;
}

// Every `hupwatch_...` or `process_...` name in backquotes: headings, tables
// and the process_* list. PromQL examples use the same names.
std::set<std::string> documented_families() {
    std::ifstream file(std::string(HUPWATCH_DOCS_DIR) + "/metrics.md");
    std::stringstream text;
    text << file.rdbuf();
    std::string doc = text.str();
    std::set<std::string> names;
    static const std::regex name(R"(`((?:hupwatch|process)_[a-z0-9_]+)[`{])");
    for (auto it = std::sregex_iterator(doc.begin(), doc.end(), name); it != std::sregex_iterator();
         ++it)
        names.insert((*it)[1].str());
    return names;
}

TEST(MetricsDocs, EveryFamilyDocumented) {
    auto exposed = exposed_families();
    auto documented = documented_families();
    ASSERT_GT(exposed.size(), 30u);
    for (const auto& name : exposed)
        EXPECT_TRUE(documented.contains(name)) << name << " is exposed, not in docs/metrics.md";
    for (const auto& name : documented)
        EXPECT_TRUE(exposed.contains(name)) << name << " is in docs/metrics.md, not exposed";
}

}  // namespace
}  // namespace hupwatch
