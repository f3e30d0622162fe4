// `hupwatch replay --reanalyze`: the correlator run again over the stored
// raw events, each run from its /proc seed and first event, and the findings
// it derives in the window printed through watch's formatters. After an
// upgrade, past incidents get today's verdicts; beside `replay --json` it
// shows whether the live verdicts follow from the recorded events alone.
#include <fmt/format.h>

#include "cli_commands.h"
#include "event_store_reader.h"
#include "finding_format.h"
#include "origin_keys.h"
#include "preflight.h"
#include "replay_correlator.h"

namespace hupwatch {
namespace {

// Stored lines that did not decode: counted, the first one named.
struct DecodeFailures {
    std::uint64_t count = 0;
    std::string first;

    void add(std::int64_t id, const std::string& error) {
        if (count++ == 0) first = fmt::format("event {}: {}", id, error);
    }
};

struct ProcessKeys {
    std::uint32_t pid, sid, uid;
};

ProcessKeys keys_of(const Finding& finding) {
    return std::visit(
        [](const auto& f) -> ProcessKeys {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, Verdict>)
                return {f.process.pid, f.sid, f.uid};
            else
                return {f.leader.pid, f.sid, f.uid};
        },
        finding);
}

std::uint64_t time_of(const Finding& finding) {
    return std::visit([](const auto& f) { return f.ktime_ns; }, finding);
}

bool selected(const Finding& finding, const StoreFilter& filter, const BootClock& clock) {
    const std::int64_t wall = clock.wall_ns(time_of(finding));
    if (wall < filter.since_wall_ns || wall > filter.until_wall_ns) return false;
    const ProcessKeys k = keys_of(finding);
    return (!filter.pid || *filter.pid == k.pid) && (!filter.sid || *filter.sid == k.sid) &&
           (!filter.uid || *filter.uid == k.uid);
}

// One run, from its seed to the window's end: the findings in the window.
void reanalyze_run(EventStoreReader& store, const StoredRun& run, const StoreFilter& filter,
                   bool json, DecodeFailures& failures, std::string& out) {
    RecordedHostProbe probe;
    ReplayCorrelator correlator({}, &probe);
    std::vector<ProcSnapshot> seed;
    for (const auto& s : store.seeds_of_run(run.id)) seed.push_back(snapshot_of(s));
    correlator.seed(seed);

    const BootClock clock(run.clock_offset_ns);
    auto print = [&](const std::vector<Finding>& findings) {
        for (const auto& f : findings) {
            if (!selected(f, filter, clock)) continue;
            // The run's host and boot end each JSON line, as in replay --json;
            // no seq: that numbers a live output (docs/events.md).
            out += json ? with_origin_keys(to_json_line(f, clock), run.hostname, run.boot_id)
                        : to_text_line(f, clock);
            out += '\n';
        }
    };
    store.for_each_event_of_run(run.id, filter.until_wall_ns, [&](const StoredEvent& stored) {
        std::string error;
        auto event = decode_stored(stored, error);
        if (!event) return failures.add(stored.id, error);
        print(correlator.on_event(*event));
    });
    print(correlator.finish());
}

}  // namespace

int run_reanalyze(const std::string& db_path, const StoreFilter& filter, bool json) {
    std::string out;
    DecodeFailures failures;
    try {
        EventStoreReader store(db_path);
        for (const auto& run : store.runs()) {
            if (run.started_wall_ns > filter.until_wall_ns) continue;
            if (run.stopped_wall_ns.value_or(run.last_wall_ns) < filter.since_wall_ns) continue;
            reanalyze_run(store, run, filter, json, failures, out);
        }
    } catch (const StoreError& e) {
        fmt::print(stderr, "{}\n", e.what());
        return kExitDatabase;
    }
    if (failures.count > 0)
        fmt::print(stderr,
                   "hupwatch: {} stored events could not be decoded and were skipped ({})\n",
                   failures.count, failures.first);
    return write_stdout(out) ? kExitOk : kExitFailure;
}

}  // namespace hupwatch
