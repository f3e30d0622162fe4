// The window's rows decoded into Events and Findings (event_store_reader.h),
// and the processes they tell of folded as why and tree fold them.
#include <fmt/format.h>

#include "event_store_reader.h"
#include "report_input.h"

namespace hupwatch {
namespace {

void count_undecodable(ReportInput& input, const char* table, std::int64_t id,
                       const std::string& error) {
    if (input.undecodable++ == 0)
        input.first_undecodable = fmt::format("{} {}: {}", table, id, error);
}

std::int64_t offset_of(std::int64_t wall_ns, std::uint64_t ktime_ns) {
    return wall_ns - static_cast<std::int64_t>(ktime_ns);
}

}  // namespace

ReportInput read_report_input(EventStoreReader& store, std::int64_t since_wall_ns,
                              std::int64_t until_wall_ns) {
    ReportInput input;
    input.since_wall_ns = since_wall_ns;
    input.until_wall_ns = until_wall_ns;
    const auto runs = store.runs();
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto& run = runs[i];
        RecordedRun r;
        r.started_wall_ns = run.started_wall_ns;
        r.hostname = run.hostname;
        // A later run means this one is over: cleanly at its stop, else at
        // its last write (the gap after it is the store's own gap row).
        if (run.stopped_wall_ns)
            r.covered_until_wall_ns = *run.stopped_wall_ns;
        else if (i + 1 < runs.size())
            r.covered_until_wall_ns = run.last_wall_ns;
        input.runs.push_back(r);
    }
    StoreFilter filter;
    filter.since_wall_ns = since_wall_ns;
    filter.until_wall_ns = until_wall_ns;
    for (const auto& stored : store.events(filter)) {
        std::string error;
        auto event = decode_stored(stored, error);
        if (!event) {
            count_undecodable(input, "event", stored.id, error);
            continue;
        }
        input.processes.add_event(stored, *event);
        input.events.push_back(
            {stored.wall_ns, offset_of(stored.wall_ns, stored.ktime_ns), std::move(*event)});
    }
    for (const auto& stored : store.findings(filter)) {
        std::string error;
        auto finding = decode_stored(stored, error);
        if (!finding) {
            count_undecodable(input, "finding", stored.id, error);
            continue;
        }
        input.findings.push_back(
            {stored.wall_ns, offset_of(stored.wall_ns, stored.ktime_ns), std::move(*finding)});
    }
    for (const auto& f : input.findings)
        if (const auto* v = std::get_if<Verdict>(&f.finding))
            input.processes.add_named(*v, f.clock_offset_ns);
    return input;
}

}  // namespace hupwatch
