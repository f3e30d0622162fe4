// `hupwatch report`: a window of the store as one self-contained HTML page
// (exporters/report): parse -> read and decode -> page model -> HTML.
#include <fmt/format.h>
#include <pwd.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "cli_commands.h"
#include "event_store_reader.h"
#include "output_file.h"
#include "preflight.h"
#include "report_html.h"
#include "report_page.h"
#include "time_arg.h"

namespace hupwatch {
namespace {

bool query_from_options(const ReportOptions& options, ReportQuery& query, std::string& error) {
    if (options.pid >= 0) query.pid = static_cast<std::uint32_t>(options.pid);
    if (options.session >= 0) query.sid = static_cast<std::uint32_t>(options.session);
    if (!options.user.empty()) {
        query.uid = uid_of_user(options.user);
        if (!query.uid) {
            error = fmt::format("hupwatch: --user: no user '{}'", options.user);
            return false;
        }
    }
    if (options.output.empty()) {
        error = "hupwatch: -o needs a file name (or - for stdout)";
        return false;
    }
    return true;
}

}  // namespace

void add_report_options(CLI::App& cmd, ReportOptions& options) {
    add_store_window_options(
        cmd, options, "Only the processes that had this pid, their ancestors and descendants",
        "Only this session id", "Only this user's processes (name or uid)");
    cmd.add_option("-o,--output", options.output, "The HTML file to write; - for stdout")
        ->capture_default_str();
}

int run_report(const ReportOptions& options) {
    const std::int64_t now = wall_now_ns();
    std::string error;
    auto window = parse_time_window(options.since, options.until, now, error);
    if (!window) {
        say("hupwatch: {}", error);
        return kExitUsage;
    }
    ReportQuery query;
    if (!query_from_options(options, query, error)) {
        say("{}", error);
        return kExitUsage;
    }

    std::string html;
    std::uint64_t undecodable = 0;
    try {
        EventStoreReader store(options.db_path);
        ReportInput input = read_report_input(store, window->since_wall_ns.value_or(INT64_MIN),
                                              window->until_wall_ns.value_or(INT64_MAX));
        undecodable = input.undecodable;
        html = render_report_html(build_report_page(input, query, now));
    } catch (const StoreError& e) {
        say("{}", e.what());
        return kExitDatabase;
    }
    if (undecodable > 0)
        say("hupwatch: {} stored lines could not be decoded and were skipped (counted on the page)",
            undecodable);
    if (options.output == "-") return write_stdout(html) ? kExitOk : kExitFailure;
    if (!write_output_file(options.output, html, error)) {
        say("{}", error);
        return kExitFailure;
    }
    return kExitOk;
}

}  // namespace hupwatch
