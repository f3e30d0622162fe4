#include "ps_command.h"

#include <fmt/format.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "argv_redactor.h"
#include "boot_clock.h"
#include "cli_commands.h"
#include "event_text.h"
#include "preflight.h"
#include "proc_host_probe.h"
#include "proc_scanner.h"

namespace hupwatch {
namespace {

std::string risk_label(const RiskAssessment& risk) {
    switch (risk.risk) {
        case Risk::Protected:
            return "protected:" + risk.reason;
        case Risk::NotAJob:
            return "-";
        case Risk::AtRisk:
        case Risk::Orphaned:
            break;
    }
    return std::string(risk_name(risk.risk));
}

std::string command_text(const ProcessNode& node) {
    return command_for_terminal(node.argv, node.info.comm);
}

struct Row {
    std::string pid, user, tty, time, supervision, risk, command;
};

void collect_rows(const ProcessForest& forest, std::size_t index, std::size_t depth,
                  std::vector<Row>& rows) {
    const ProcessNode& node = forest.nodes[index];
    std::string indent = depth == 0 ? "" : std::string(4 * (depth - 1), ' ') + " \\_ ";
    rows.push_back({std::to_string(node.info.pid), escape_for_terminal(node.user),
                    node.tty.value_or("?"), format_run_time(node.run_time_ns),
                    std::string(supervision_name(node.supervision)), risk_label(node.risk),
                    indent + command_text(node)});
    for (std::size_t child : node.children) collect_rows(forest, child, depth + 1, rows);
}

nlohmann::ordered_json node_json(const ProcessForest& forest, const ProcessNode& node) {
    nlohmann::ordered_json j;
    const ProcessInfo& info = node.info;
    j["pid"] = info.pid;
    j["ppid"] = info.ppid;
    j["pgid"] = info.pgid;
    j["sid"] = info.sid;
    j["uid"] = info.uid;
    j["user"] = node.user;
    j["tty"] = node.tty ? nlohmann::ordered_json(*node.tty) : nullptr;
    j["comm"] = info.comm;
    j["argv"] = node.argv;
    j["start_ns"] = info.start_ns;
    j["run_time_seconds"] = node.run_time_ns / 1'000'000'000ULL;
    j["session_leader"] = info.pid == info.sid;
    j["cgroup"] = node.cgroup ? nlohmann::ordered_json(*node.cgroup) : nullptr;
    j["supervision"] = supervision_name(node.supervision);
    j["sighup"] =
        node.sighup ? nlohmann::ordered_json(sighup_disposition_name(*node.sighup)) : nullptr;
    j["risk"] = risk_name(node.risk.risk);
    j["risk_reason"] = node.risk.reason;
    j["output_to_tty"] = node.output_to_tty ? nlohmann::ordered_json(*node.output_to_tty) : nullptr;
    j["output_lost"] = node.output_lost ? nlohmann::ordered_json(*node.output_lost) : nullptr;
    auto children = nlohmann::ordered_json::array();
    for (std::size_t c : node.children) children.push_back(node_json(forest, forest.nodes[c]));
    j["children"] = std::move(children);
    return j;
}

}  // namespace

std::string format_run_time(std::uint64_t ns) {
    std::uint64_t s = ns / 1'000'000'000ULL;
    std::uint64_t days = s / 86400, hours = s / 3600 % 24, minutes = s / 60 % 60, seconds = s % 60;
    if (days > 0) return fmt::format("{}-{:02}:{:02}:{:02}", days, hours, minutes, seconds);
    if (hours > 0) return fmt::format("{:02}:{:02}:{:02}", hours, minutes, seconds);
    return fmt::format("{:02}:{:02}", minutes, seconds);
}

std::string forest_text(const ProcessForest& forest) {
    std::vector<Row> rows{{"PID", "USER", "TTY", "TIME", "SUPERVISION", "RISK", "COMMAND"}};
    for (std::size_t root : forest.roots) collect_rows(forest, root, 0, rows);

    Row width{};
    auto widen = [](std::string& w, const std::string& field) {
        if (field.size() > w.size()) w.resize(field.size(), ' ');
    };
    for (const auto& r : rows) {
        widen(width.pid, r.pid);
        widen(width.user, r.user);
        widen(width.tty, r.tty);
        widen(width.time, r.time);
        widen(width.supervision, r.supervision);
        widen(width.risk, r.risk);
    }
    std::string out;
    for (const auto& r : rows) {
        out += fmt::format("{:>{}} {:<{}} {:<{}} {:>{}} {:<{}} {:<{}} {}\n", r.pid,
                           width.pid.size(), r.user, width.user.size(), r.tty, width.tty.size(),
                           r.time, width.time.size(), r.supervision, width.supervision.size(),
                           r.risk, width.risk.size(), r.command);
    }
    return out;
}

nlohmann::ordered_json forest_json(const ProcessForest& forest) {
    auto roots = nlohmann::ordered_json::array();
    for (std::size_t r : forest.roots) roots.push_back(node_json(forest, forest.nodes[r]));
    nlohmann::ordered_json doc;
    doc["processes"] = std::move(roots);
    return doc;
}

void add_ps_options(CLI::App& cmd, PsOptions& options) {
    cmd.add_flag("--json", options.json, "One JSON document (fields: docs/ps.md)");
    cmd.add_flag("--all", options.all, "Every process, not only interactive sessions");
    cmd.add_option("--proc", options.proc_root, "proc filesystem to read processes from");
    cmd.add_flag("-w,--wide", options.wide,
                 "Whole lines; without it, lines are cut to the terminal's width on a terminal");
}

int run_ps(const PsOptions& options) {
    std::error_code ec;
    if (!std::filesystem::is_directory(options.proc_root, ec)) {
        say("hupwatch: --proc '{}' is not a directory", options.proc_root);
        return kExitUsage;
    }
    ProcScanner scanner(options.proc_root);
    auto snapshots = scanner.scan();
    std::string no_error;
    auto redactor = ArgvRedactor::create({}, no_error);  // the defaults always compile
    for (auto& snapshot : snapshots) redactor->redact(snapshot.argv);
    if (snapshots.empty()) {
        say("hupwatch: no readable processes under '{}'", options.proc_root);
        return kExitFailure;
    }
    ProcHostProbe probe(options.proc_root);
    auto forest = build_forest(snapshots, probe, {options.all, boot_now_ns()});

    std::string out = options.json ? forest_json(forest).dump(
                                         2, ' ', false, nlohmann::json::error_handler_t::replace) +
                                         "\n"
                                   : fit_to_terminal(forest_text(forest), options.wide);
    if (!write_stdout(out)) {
        say("hupwatch: writing to stdout failed");
        return kExitFailure;
    }
    return kExitOk;
}

}  // namespace hupwatch
