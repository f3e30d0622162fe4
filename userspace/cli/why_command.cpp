// `hupwatch why PID`: one process's story from the store: lineage up to its
// login session, start and command, how it ended (or that it lives on,
// orphaned), who signalled it, which disconnect it traces to, whether its
// output was lost. A reused pid lists every holder and picks one.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "event_store_reader.h"
#include "event_text.h"
#include "host_probe.h"
#include "preflight.h"
#include "stored_process.h"
#include "story_lines.h"
#include "time_arg.h"

namespace hupwatch {
namespace {

using OJson = nlohmann::ordered_json;
constexpr std::size_t kMaxLineage = 32;
// A disconnect this close to a SIGHUP death is its cause when no verdict says so.
constexpr std::int64_t kDisconnectWindowNs = 10'000'000'000;

struct PidHistory {
    std::vector<StoredProcess> holders;  // by start time
    std::vector<StoredEvent> events;
};

PidHistory load_pid(EventStoreReader& store, std::uint32_t pid,
                    const std::map<std::int64_t, std::int64_t>& offsets) {
    PidHistory h;
    ProcessHistory history;
    for (const auto& seed : store.seeds_of_pid(pid)) {
        auto it = offsets.find(seed.run_id);
        history.add_seed(seed, it == offsets.end() ? 0 : it->second);
    }
    h.events = store.events_of_pid(pid);
    for (const auto& e : h.events) history.add_event(e);
    h.holders = history.processes();
    std::sort(h.holders.begin(), h.holders.end(),
              [](const auto& a, const auto& b) { return a.start_wall_ns < b.start_wall_ns; });
    return h;
}

// The holder of pid at `when` (by start identity when known).
const StoredProcess* pick(const std::vector<StoredProcess>& holders,
                          std::optional<std::uint64_t> start_ns, std::int64_t when) {
    if (start_ns)
        for (const auto& p : holders)
            if (p.has_start(*start_ns)) return &p;
    const StoredProcess* best = nullptr;
    for (const auto& p : holders)
        if (p.start_wall_ns <= when && (!best || p.start_wall_ns > best->start_wall_ns)) best = &p;
    return best;
}

OJson ref(std::uint32_t pid, std::uint64_t start_ns, const std::string& comm) {
    OJson j;
    j["pid"] = pid;
    j["start_ns"] = start_ns;
    j["comm"] = comm;
    return j;
}

std::string lines_of(const std::string& label, const std::vector<std::string>& lines) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i)
        out += fmt::format("  {:<11}{}\n", i == 0 ? label : "", lines[i]);
    return out;
}

}  // namespace

void add_why_options(CLI::App& cmd, WhyOptions& options) {
    cmd.add_option("pid", options.pid, "The process id")
        ->required()
        ->check(CLI::Range(1LL, 4194304LL));
    cmd.add_option("--at", options.at,
                   "When several processes had the pid: the one alive then (default: the latest)");
    cmd.add_option("--db", options.db_path, "The event store")->capture_default_str();
    cmd.add_flag("--json", options.json, "One JSON object");
}

int run_why(const WhyOptions& options) {
    const std::int64_t now = wall_now_ns();
    std::string error;
    std::optional<std::int64_t> at;
    if (!options.at.empty()) {
        at = parse_time_arg(options.at, now, error);
        if (!at) {
            fmt::print(stderr, "hupwatch: --at: {}\n", error);
            return kExitUsage;
        }
    }
    const auto pid = static_cast<std::uint32_t>(options.pid);
    OJson j;
    std::string text;
    try {
        EventStoreReader store(options.db_path);
        std::map<std::int64_t, std::int64_t> offsets;
        std::int64_t recorded_until = 0;
        for (const auto& r : store.runs()) {
            offsets[r.id] = r.clock_offset_ns;
            recorded_until = std::max(recorded_until, r.stopped_wall_ns.value_or(r.last_wall_ns));
        }
        PidHistory h = load_pid(store, pid, offsets);
        if (h.holders.empty()) {
            fmt::print(stderr, "hupwatch: no process with pid {} in {}\n", pid, options.db_path);
            return kExitFailure;
        }
        const StoredProcess* chosen = nullptr;
        if (at) {
            for (const auto& p : h.holders)
                if (p.alive_at(*at)) chosen = &p;
            if (!chosen) chosen = pick(h.holders, std::nullopt, *at);
            if (!chosen) chosen = &h.holders.front();
        } else {
            chosen = &h.holders.back();
        }
        const StoredProcess& p = *chosen;

        std::vector<StoredEvent> own;
        for (const auto& e : h.events)
            if (p.has_start(e.start_ns)) own.push_back(e);
        std::vector<StoredFinding> verdicts;
        for (auto& f : store.findings_of_pid(pid))
            if (f.kind == "verdict" && p.has_start(f.start_ns)) verdicts.push_back(std::move(f));
        // Parsed once, in stored key order: read below and printed as is.
        std::vector<OJson> verdict_json;
        for (const auto& v : verdicts) verdict_json.push_back(OJson::parse(v.json, nullptr, false));

        // Lineage: the correlator's, as it knew it at the verdict; else
        // walked from stored fork events and seeds.
        OJson lineage = OJson::array();
        std::vector<std::string> lineage_text;
        for (const auto& v : verdict_json)
            if (v.is_object() && v.contains("lineage") && v["lineage"].is_array() &&
                !v["lineage"].empty()) {
                for (const auto& a : v["lineage"]) {
                    lineage.push_back(ref(a.value("pid", 0u), a.value("start_ns", std::uint64_t{0}),
                                          a.value("comm", "")));
                    lineage_text.push_back(fmt::format(
                        "{} {}", escape_for_terminal(a.value("comm", "")), a.value("pid", 0u)));
                }
                break;
            }
        if (lineage.empty()) {
            std::uint32_t parent_pid = p.ppid;
            std::optional<std::uint64_t> parent_start = p.parent_start_ns;
            for (std::size_t depth = 0; depth < kMaxLineage && parent_pid > 0; ++depth) {
                PidHistory ph = load_pid(store, parent_pid, offsets);
                const StoredProcess* parent = pick(ph.holders, parent_start, p.start_wall_ns);
                if (!parent) {
                    lineage.push_back(ref(parent_pid, parent_start.value_or(0), ""));
                    lineage_text.push_back(fmt::format("{} (not recorded)", parent_pid));
                    break;
                }
                lineage.push_back(ref(parent->pid, parent->start_ns, parent->comm));
                lineage_text.push_back(
                    fmt::format("{} {}{}", escape_for_terminal(parent->comm), parent->pid,
                                parent->pid == parent->sid ? " (session leader)" : ""));
                if (parent->pid == parent->sid || parent->pid == 1) break;
                parent_pid = parent->ppid;
                parent_start = parent->parent_start_ns;
            }
        }

        // Signals, output, the end.
        OJson signals = OJson::array();
        std::vector<std::string> signal_text;
        std::uint64_t eio_writes = 0;
        for (const auto& e : own) {
            if (e.type == "signal") {
                signals.push_back(OJson::parse(e.json, nullptr, false));
                signal_text.push_back(
                    fmt::format("{} {}", local_stamp(e.wall_ns, now), event_sentence(e)));
            } else if (e.type == "output_lost") {
                auto oj = nlohmann::json::parse(e.json, nullptr, false);
                if (oj.is_object())
                    eio_writes = std::max(eio_writes, oj.value("eio_writes", std::uint64_t{0}));
            }
        }
        bool output_lost = eio_writes > 0;
        for (const auto& v : verdict_json)
            if (v.is_object() && v.value("output_lost", false)) {
                output_lost = true;
                eio_writes = std::max(eio_writes, v.value("eio_writes", std::uint64_t{0}));
            }

        // The disconnect: the one a verdict names, else one of its session
        // just before a SIGHUP death.
        std::optional<StoredFinding> disconnect;
        for (const auto& v : verdict_json)
            if (v.is_object() && v.contains("disconnect_sid") && v["disconnect_sid"].is_number()) {
                disconnect = store.disconnect_of(v["disconnect_sid"].get<std::uint32_t>(),
                                                 p.exit_wall_ns.value_or(now));
                break;
            }
        if (!disconnect && p.exit_wall_ns) {
            auto candidate = store.disconnect_of(p.sid, *p.exit_wall_ns);
            if (candidate && candidate->wall_ns <= *p.exit_wall_ns &&
                *p.exit_wall_ns - candidate->wall_ns <= kDisconnectWindowNs)
                disconnect = candidate;
        }

        // The JSON document.
        OJson exit_json = p.exit ? OJson::parse(p.exit->json, nullptr, false) : OJson(nullptr);
        j["pid"] = p.pid;
        j["start_ns"] = p.start_ns;
        j["comm"] = p.comm;
        j["argv"] = p.argv;
        j["user"] = user_name_of(p.uid);
        j["uid"] = p.uid;
        j["sid"] = p.sid;
        j["tty"] = p.tty.empty() ? OJson(nullptr) : OJson(p.tty);
        j["started"] = rfc3339_wall(p.start_wall_ns);
        j["seeded"] = p.seeded;
        j["ppid"] = p.ppid;
        j["alive"] = !p.exit_wall_ns.has_value();
        j["ended"] = p.exit_wall_ns ? OJson(rfc3339_wall(*p.exit_wall_ns)) : OJson(nullptr);
        j["signal"] = exit_json.is_object() ? exit_json["signal"] : OJson(nullptr);
        j["exit_code"] = exit_json.is_object() ? exit_json["exit_code"] : OJson(nullptr);
        j["orphaned"] = !p.reparents.empty();
        if (!p.reparents.empty()) {
            const auto& r = p.reparents.back();
            j["new_parent"] = {
                {"pid", r.new_ppid}, {"start_ns", r.new_parent_start_ns}, {"reaper", r.reaper}};
        } else {
            j["new_parent"] = nullptr;
        }
        j["via"] = nullptr;
        for (const auto& v : verdict_json)
            if (v.is_object() && v.contains("via_pid") && v["via_pid"].is_number())
                j["via"] = {{"pid", v["via_pid"]}, {"comm", v.value("via_comm", "")}};
        j["lineage"] = lineage;
        j["signals"] = signals;
        j["verdicts"] = OJson::array();
        for (const auto& v : verdict_json) j["verdicts"].push_back(v);
        j["disconnect"] =
            disconnect ? OJson::parse(disconnect->json, nullptr, false) : OJson(nullptr);
        j["output_lost"] = output_lost;
        j["eio_writes"] = eio_writes;
        j["other_processes"] = OJson::array();
        for (const auto& other : h.holders)
            if (&other != chosen)
                j["other_processes"].push_back(
                    {{"pid", other.pid},
                     {"start_ns", other.start_ns},
                     {"comm", other.comm},
                     {"started", rfc3339_wall(other.start_wall_ns)},
                     {"ended", other.exit_wall_ns ? OJson(rfc3339_wall(*other.exit_wall_ns))
                                                  : OJson(nullptr)}});

        // The text.
        text = fmt::format("{} {} (user {}, session {}, {})\n", escape_for_terminal(p.comm), p.pid,
                           user_name_of(p.uid), p.sid, p.tty.empty() ? "no tty" : p.tty);
        text += lines_of(
            "started",
            {p.seeded ? fmt::format("{} (running when hupwatch started)",
                                    local_stamp(p.start_wall_ns, now))
                      : fmt::format("{} by {}", local_stamp(p.start_wall_ns, now), p.ppid)});
        if (!p.argv.empty()) text += lines_of("ran", {command_for_terminal(p.argv, p.comm)});
        if (!lineage_text.empty()) {
            std::string chain;
            for (const auto& l : lineage_text) chain += (chain.empty() ? "" : " <- ") + l;
            text += lines_of("lineage", {chain});
        }
        text += lines_of("signals", signal_text);
        std::vector<std::string> reparent_text;
        for (const auto& r : p.reparents)
            reparent_text.push_back(fmt::format("{} reparented to {} ({})",
                                                local_stamp(r.wall_ns, now), r.new_ppid,
                                                r.reaper.empty() ? "init" : r.reaper));
        text += lines_of("orphaned", reparent_text);
        if (p.exit)
            text += lines_of("ended", {fmt::format("{} {}", local_stamp(p.exit->wall_ns, now),
                                                   event_sentence(*p.exit))});
        else
            text += lines_of("alive", {fmt::format("no exit recorded up to {}{}",
                                                   local_stamp(recorded_until, now),
                                                   p.reparents.empty() ? "" : ", orphaned")});
        std::vector<std::string> verdict_text;
        for (const auto& v : verdicts)
            verdict_text.push_back(fmt::format("{}: {}", v.verdict, finding_sentence(v)));
        text += lines_of("verdict", verdict_text);
        if (disconnect)
            text +=
                lines_of("disconnect", {fmt::format("{} {}", local_stamp(disconnect->wall_ns, now),
                                                    finding_sentence(*disconnect))});
        text += lines_of("output", {output_lost ? fmt::format("lost: {} writes to the hung-up "
                                                              "terminal failed",
                                                              eio_writes)
                                                : "no failed write to a hung-up terminal seen"});
        std::vector<std::string> others;
        for (const auto& other : h.holders)
            if (&other != chosen)
                others.push_back(fmt::format(
                    "{} started {}{}", escape_for_terminal(other.comm),
                    local_stamp(other.start_wall_ns, now),
                    other.exit_wall_ns ? ", ended " + local_stamp(*other.exit_wall_ns, now) : ""));
        text += lines_of("also pid", others);
    } catch (const StoreError& e) {
        fmt::print(stderr, "{}\n", e.what());
        return kExitDatabase;
    }
    std::string out = options.json
                          ? j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                          : text;
    return write_stdout(out) ? kExitOk : kExitFailure;
}

}  // namespace hupwatch
