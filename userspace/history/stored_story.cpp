#include "stored_story.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <variant>

#include "finding_format.h"
#include "origin_keys.h"
#include "story_sentence.h"
#include "wall_stamp.h"

namespace hupwatch {
namespace {

using Identity = std::pair<std::uint32_t, std::uint64_t>;  // (pid, start_ns)

// What an item is, until it is rendered in time order: the story's names
// (what each process was called at each moment) are only known then.
using Body = std::variant<Event, Finding, std::string>;  // string: a run or gap line

struct Item {
    std::int64_t wall_ns = 0;
    int rank = 0;  // orders items at the same instant: runs, events, findings, stops
    std::int64_t id = 0;
    Body body;
    std::string json;
};

std::string meta_json(const char* event, std::int64_t wall_ns, const nlohmann::ordered_json& rest) {
    nlohmann::ordered_json j;
    j["event"] = event;
    j["time"] = rfc3339_wall(wall_ns);
    for (const auto& [k, v] : rest.items()) j[k] = v;
    return j.dump();
}

// A gap line's keys; "reason" only for gaps that have one (write errors).
nlohmann::ordered_json gap_keys(const StoredGap& gap) {
    nlohmann::ordered_json keys = {{"from", rfc3339_wall(gap.from_wall_ns)},
                                   {"to", rfc3339_wall(gap.to_wall_ns)}};
    if (!gap.reason.empty()) keys["reason"] = gap.reason;
    return keys;
}

void add_runs(EventStoreReader& store, const std::vector<StoredRun>& runs, const StoreFilter& f,
              std::int64_t now, std::vector<Item>& items) {
    auto in_range = [&](std::int64_t t) { return t >= f.since_wall_ns && t <= f.until_wall_ns; };
    for (const auto& run : runs) {
        if (in_range(run.started_wall_ns))
            items.push_back({run.started_wall_ns, 0, run.id,
                             fmt::format("hupwatch {} started recording on {} (run {})",
                                         run.version, run.hostname, run.id),
                             meta_json("hupwatch_start", run.started_wall_ns,
                                       {{"run", run.id},
                                        {"version", run.version},
                                        {"hostname", run.hostname},
                                        {"boot_id", run.boot_id}})});
        if (run.stopped_wall_ns && in_range(*run.stopped_wall_ns))
            items.push_back({*run.stopped_wall_ns, 3, run.id,
                             fmt::format("hupwatch stopped (run {})", run.id),
                             meta_json("hupwatch_stop", *run.stopped_wall_ns, {{"run", run.id}})});
    }
    for (const auto& gap : store.gaps()) {
        if (gap.to_wall_ns < f.since_wall_ns || gap.from_wall_ns > f.until_wall_ns) continue;
        items.push_back(
            {gap.from_wall_ns, 3, gap.run_id,
             // Milliseconds: a quick restart leaves a gap within one second.
             fmt::format("no data between {} and {} ({}; {})",
                         local_stamp_ms(gap.from_wall_ns, now), local_stamp_ms(gap.to_wall_ns, now),
                         human_duration(static_cast<std::uint64_t>(
                             std::max<std::int64_t>(0, gap.to_wall_ns - gap.from_wall_ns))),
                         gap.reason.empty() ? "hupwatch did not stop cleanly" : gap.reason),
             meta_json("gap", gap.from_wall_ns, gap_keys(gap))});
    }
}

// The host and boot each run recorded on: the last keys of its stored lines
// as --json prints them (docs/events.md, "Fleet fields"); the rows leave
// them to the run's row.
class RunOrigins {
   public:
    explicit RunOrigins(const std::vector<StoredRun>& runs) {
        for (const auto& run : runs) runs_[run.id] = &run;
    }
    std::string stamped(std::int64_t run_id, std::string json) const {
        auto it = runs_.find(run_id);
        if (it == runs_.end()) return json;
        return with_origin_keys(std::move(json), it->second->hostname, it->second->boot_id);
    }

   private:
    std::map<std::int64_t, const StoredRun*> runs_;
};

// origins: null when only the text is printed.
template <typename Row>
void add_row(Row& row, int rank, const RunOrigins* origins, Story& story,
             std::vector<Item>& items) {
    std::string error;
    auto decoded = decode_stored(row, error);
    Item item{row.wall_ns, rank, row.id, std::string(),
              origins ? origins->stamped(row.run_id, std::move(row.json)) : std::move(row.json)};
    if (decoded) {
        item.body = std::move(*decoded);
    } else {
        ++story.undecodable;
        story.last_error = error;
        item.body = fmt::format("(a stored line that does not decode: {})", error);
    }
    items.push_back(std::move(item));
}

Identity identity_of(const Finding& f) {
    const auto& v = std::get<Verdict>(f);
    return {v.process.pid, v.process.start_ns};
}

// Renders in time order, naming each process as it was called then.
class Narrator {
   public:
    explicit Narrator(std::int64_t now) : now_(now) {}

    std::string line(const Item& item) {
        const std::string stamp = local_stamp(item.wall_ns, now_);
        if (const auto* meta = std::get_if<std::string>(&item.body))
            return fmt::format("{} {}", stamp, *meta);
        if (const auto* event = std::get_if<Event>(&item.body)) {
            const ProcessInfo& p = event->subject();
            const Identity id{p.pid, p.start_ns};
            std::string earlier;
            if (event->type() == EventType::Exec) earlier = name_of(id);
            names_[id] = p.comm;
            return fmt::format("{} {}", stamp, story_sentence(*event, earlier));
        }
        const auto& finding = std::get<Finding>(item.body);
        std::string earlier;
        if (std::holds_alternative<Verdict>(finding)) earlier = name_of(identity_of(finding));
        return fmt::format("{} {}", stamp, story_sentence(finding, earlier));
    }

   private:
    std::string name_of(const Identity& id) const {
        auto it = names_.find(id);
        return it == names_.end() ? std::string() : it->second;
    }

    std::int64_t now_;
    std::map<Identity, std::string> names_;
};

// One sentence per fact: a death verdict tells the exit again, with its cause.
void drop_told_exits(std::vector<Item>& items) {
    std::set<Identity> told;
    for (const auto& item : items)
        if (const auto* f = std::get_if<Finding>(&item.body); f && tells_death(*f))
            told.insert(identity_of(*f));
    std::erase_if(items, [&](const Item& item) {
        const auto* e = std::get_if<Event>(&item.body);
        return e && e->type() == EventType::Exit &&
               told.count({e->subject().pid, e->subject().start_ns});
    });
}

}  // namespace

Story tell_story(EventStoreReader& store, const StoreFilter& filter, const StoryOptions& options) {
    Story story;
    std::vector<Item> items;
    const auto runs = store.runs();
    const RunOrigins origins(runs);
    const RunOrigins* stamp = options.json ? &origins : nullptr;
    add_runs(store, runs, filter, options.now_wall_ns, items);
    for (auto& e : store.events(filter)) add_row(e, 1, stamp, story, items);
    // The exits that verdicts are about, when the story leaves out plain exits.
    if (filter.significant_only)
        for (auto& e : store.exits_with_verdicts(filter)) add_row(e, 1, stamp, story, items);
    for (auto& f : store.findings(filter)) add_row(f, 2, stamp, story, items);
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        if (a.wall_ns != b.wall_ns) return a.wall_ns < b.wall_ns;
        if (a.rank != b.rank) return a.rank < b.rank;
        return a.id < b.id;
    });
    if (!options.json) drop_told_exits(items);
    Narrator narrator(options.now_wall_ns);
    for (auto& item : items)
        story.lines.push_back({item.wall_ns, options.json ? std::string() : narrator.line(item),
                               std::move(item.json)});
    return story;
}

}  // namespace hupwatch
