#include "why_render.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "event_text.h"
#include "host_probe.h"
#include "story_sentence.h"
#include "tty_names.h"
#include "wall_stamp.h"

namespace hupwatch {
namespace {

using OJson = nlohmann::ordered_json;

OJson ref(const ProcessRef& p) {
    OJson j;
    j["pid"] = p.pid;
    j["start_ns"] = p.start_ns;
    j["comm"] = p.comm;
    return j;
}

OJson stored(const std::string& json) {
    return OJson::parse(json, nullptr, false);
}

std::string lines_of(const std::string& label, const std::vector<std::string>& lines) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i)
        out += fmt::format("  {:<11}{}\n", i == 0 ? label : "", lines[i]);
    return out;
}

std::string lineage_text(const WhyReport& r) {
    std::string chain;
    for (const auto& step : r.lineage) {
        std::string one =
            step.recorded
                ? fmt::format("{} {}{}", escape_for_terminal(step.process.comm), step.process.pid,
                              step.session_leader ? " (session leader)" : "")
                : fmt::format("{} (not recorded)", step.process.pid);
        chain += (chain.empty() ? "" : " <- ") + one;
    }
    return chain;
}

std::string output_text(const WhyReport& r) {
    if (r.eio_writes > 0)
        return fmt::format("lost: {} writes to the hung-up terminal failed", r.eio_writes);
    if (r.output_lost) {
        std::string fds;
        for (int fd : r.dead_fds) fds += (fds.empty() ? "" : ", ") + std::to_string(fd);
        return fds.empty() ? "lost: its terminal was hung up"
                           : fmt::format(
                                 "lost: fd {} on the hung-up terminal (no write seen "
                                 "failing yet)",
                                 fds);
    }
    return "no failed write to a hung-up terminal seen";
}

std::string end_text(const WhyReport& r, std::int64_t now) {
    if (r.exit)
        return lines_of("ended", {fmt::format("{} {}", local_stamp(r.exit->wall_ns, now),
                                              story_sentence(r.exit->fact))});
    if (r.gone_by_wall_ns)
        return lines_of("ended", {fmt::format("exit unseen: gone by {}, no exit was recorded",
                                              local_stamp(*r.gone_by_wall_ns, now))});
    return lines_of("alive",
                    {fmt::format("no exit recorded up to {}{}", local_stamp(r.recorded_until, now),
                                 r.reparents.empty() ? "" : ", orphaned")});
}

}  // namespace

std::string why_text(const WhyReport& r, std::int64_t now) {
    const ProcessInfo& info = r.process.info;
    const auto tty = tty_name(r.tty_dev);
    std::string text =
        fmt::format("{} {} (user {}, session {}, {})\n", escape_for_terminal(info.comm), info.pid,
                    user_name_of(info.uid), info.sid, tty ? *tty : "no tty");
    text += lines_of(
        "started",
        {r.process.seeded
             ? fmt::format("{} (running when hupwatch started)", local_stamp(r.start_wall_ns, now))
             : fmt::format("{} by {}", local_stamp(r.start_wall_ns, now), r.start_ppid)});
    if (!r.process.argv.empty())
        text += lines_of("ran", {command_for_terminal(r.process.argv, info.comm)});
    if (!r.lineage.empty()) text += lines_of("lineage", {lineage_text(r)});
    std::vector<std::string> signals;
    for (const auto& s : r.signals)
        signals.push_back(
            fmt::format("{} {}", local_stamp(s.wall_ns, now), story_sentence(s.fact)));
    text += lines_of("signals", signals);
    std::vector<std::string> reparents;
    for (const auto& rep : r.reparents)
        reparents.push_back(fmt::format("{} reparented to {} ({})", local_stamp(rep.wall_ns, now),
                                        rep.fact.new_ppid, reaper_kind_name(rep.fact.reaper)));
    text += lines_of("orphaned", reparents);
    text += end_text(r, now);
    std::vector<std::string> verdicts;
    for (const auto& v : r.verdicts) verdicts.push_back(verdict_line(v.fact));
    text += lines_of("verdict", verdicts);
    if (r.disconnect)
        text +=
            lines_of("disconnect", {fmt::format("{} {}", local_stamp(r.disconnect->wall_ns, now),
                                                story_sentence(Finding{r.disconnect->fact}))});
    text += lines_of("output", {output_text(r)});
    std::vector<std::string> others;
    for (const auto& other : r.others)
        others.push_back(fmt::format(
            "{} started {}{}", escape_for_terminal(other.process.comm),
            local_stamp(other.start_wall_ns, now),
            other.exit_wall_ns ? ", ended " + local_stamp(*other.exit_wall_ns, now) : ""));
    text += lines_of("also pid", others);
    return text;
}

std::string why_json(const WhyReport& r) {
    const ProcessInfo& info = r.process.info;
    const auto tty = tty_name(r.tty_dev);
    OJson exit_json = r.exit ? stored(r.exit->json) : OJson(nullptr);
    OJson j;
    j["pid"] = info.pid;
    j["start_ns"] = info.start_ns;
    j["comm"] = info.comm;
    j["argv"] = r.process.argv;
    j["user"] = user_name_of(info.uid);
    j["uid"] = info.uid;
    j["sid"] = info.sid;
    j["tty"] = tty ? OJson(*tty) : OJson(nullptr);
    j["started"] = rfc3339_wall(r.start_wall_ns);
    j["seeded"] = r.process.seeded;
    j["ppid"] = r.start_ppid;
    j["alive"] = !r.exit && !r.gone_by_wall_ns;
    j["exit_unseen"] = r.gone_by_wall_ns.has_value();
    j["gone_by"] = r.gone_by_wall_ns ? OJson(rfc3339_wall(*r.gone_by_wall_ns)) : OJson(nullptr);
    j["ended"] = r.exit ? OJson(rfc3339_wall(r.exit->wall_ns)) : OJson(nullptr);
    j["signal"] = exit_json.is_object() ? exit_json["signal"] : OJson(nullptr);
    j["exit_code"] = exit_json.is_object() ? exit_json["exit_code"] : OJson(nullptr);
    j["orphaned"] = !r.reparents.empty();
    if (!r.reparents.empty()) {
        const auto& last = r.reparents.back().fact;
        j["new_parent"] = {{"pid", last.new_ppid},
                           {"start_ns", last.new_parent_start_ns},
                           {"reaper", reaper_kind_name(last.reaper)}};
    } else {
        j["new_parent"] = nullptr;
    }
    j["via"] = nullptr;
    for (const auto& v : r.verdicts)
        if (v.fact.via) j["via"] = {{"pid", v.fact.via->pid}, {"comm", v.fact.via->comm}};
    j["lineage"] = OJson::array();
    for (const auto& step : r.lineage) j["lineage"].push_back(ref(step.process));
    j["signals"] = OJson::array();
    for (const auto& s : r.signals) j["signals"].push_back(stored(s.json));
    j["verdicts"] = OJson::array();
    for (const auto& v : r.verdicts) j["verdicts"].push_back(stored(v.json));
    j["disconnect"] = r.disconnect ? stored(r.disconnect->json) : OJson(nullptr);
    j["output_lost"] = r.output_lost;
    j["eio_writes"] = r.eio_writes;
    j["other_processes"] = OJson::array();
    for (const auto& other : r.others)
        j["other_processes"].push_back(
            {{"pid", other.process.pid},
             {"start_ns", other.process.start_ns},
             {"comm", other.process.comm},
             {"started", rfc3339_wall(other.start_wall_ns)},
             {"ended",
              other.exit_wall_ns ? OJson(rfc3339_wall(*other.exit_wall_ns)) : OJson(nullptr)}});
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace hupwatch
