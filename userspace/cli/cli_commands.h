// The subcommands behind main(): each takes parsed options and returns the
// process exit code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "console.h"
#include "event_store_reader.h"
#include "store_schema.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace hupwatch {

struct MonitorOptions;

// Options of every command that runs the live monitor (watch, run).
struct MonitorCliOptions {
    std::vector<std::string> signals;  // names or numbers; empty: the default set
    std::uint32_t argv_max = 4096;
    std::string proc_root = "/proc";
    bool syscall_results = false;     // opt-in: the sys_exit hook
    bool no_syscall_results = false;  // the default since 0.2; accepted, changes nothing
    std::vector<std::string> redact;  // --redact REGEX, repeatable
    bool no_default_redactions = false;
    bool bpf_stats = false;       // --bpf-stats
    bool setsid_moments = false;  // opt-in: the proc connector's PROC_EVENT_SID
};
void add_monitor_options(CLI::App& cmd, MonitorCliOptions& options);
// One-line error for a bad value.
bool to_monitor_options(const MonitorCliOptions& cli, MonitorOptions& out, std::string& error);

struct WatchOptions {
    MonitorCliOptions monitor;
    bool json = false;
    bool verdicts_only = false;
};
void add_watch_options(CLI::App& cmd, WatchOptions& options);
int run_watch(const WatchOptions& options);

struct RunOptions {
    MonitorCliOptions monitor;
    std::string listen_address = "127.0.0.1:9776";
    std::string telemetry_path = "/metrics";
    std::string events_json;  // empty: off; "-": stdout
    std::string events_json_max_size = "100M";
    unsigned events_json_max_files = 5;
    bool events_journald = false;
    unsigned comm_label_limit = 50;
    std::string db_path = kDefaultDbPath;
    std::string retention = "30d";
    std::string db_max_size = "1G";  // docs/store.md: bytes per event and per day
    bool no_db = false;
    std::string query_socket;  // empty: the default (query_protocol.h)
    bool no_query_socket = false;
    unsigned audit_interval_s = 30;  // the ps audit behind hupwatch_jobs_at_risk
};
void add_run_options(CLI::App& cmd, RunOptions& options);
struct StoreOptions;
// run's --db, --retention and --db.max-size as the store's options; false
// with a one-line error for a bad value.
bool store_options_from_cli(const std::string& path, const std::string& retention,
                            const std::string& max_size, StoreOptions& out, std::string& error);
int run_daemon(const RunOptions& options);

int run_check();

struct PsOptions {
    bool json = false;
    bool all = false;
    bool wide = false;  // on a terminal, lines are cut to its width without it
    std::string proc_root = "/proc";
};
void add_ps_options(CLI::App& cmd, PsOptions& options);
int run_ps(const PsOptions& options);

// The event store's readers (docs/store.md): read-only, beside the daemon.
// The window and filters replay and report share.
struct StoreWindowOptions {
    std::string db_path = kDefaultDbPath;
    std::string since;
    std::string until;
    long long pid = -1;
    long long session = -1;
    std::string user;
};
// Accepts a pid (what: "pid") or session id ("session id") from min to the
// kernel's pid_max limit; anything else is one line naming the option and
// what it takes: "--pid: 'abc' is not a pid (a number from 0 to 4194304)".
void check_process_id(CLI::Option& option, const std::string& what, long long min);
// --db, --since, --until, --pid, --session and --user; what --pid and
// --session keep is the command's to say.
void add_store_window_options(CLI::App& cmd, StoreWindowOptions& options,
                              const std::string& pid_help, const std::string& session_help,
                              const std::string& user_help);

struct ReplayOptions : StoreWindowOptions {
    bool json = false;
    bool reanalyze = false;      // the correlator again over the stored events
    StoreVisibility visibility;  // not an option: the query socket's caller
};
void add_replay_options(CLI::App& cmd, ReplayOptions& options);
int run_replay(const ReplayOptions& options);
struct StoreFilter;
int run_reanalyze(const std::string& db_path, const StoreFilter& filter, bool json);

// `hupwatch report`: one self-contained HTML page of a window (docs/cli.md).
struct ReportOptions : StoreWindowOptions {
    std::string output = "-";  // a file, or - for stdout
};
void add_report_options(CLI::App& cmd, ReportOptions& options);
int run_report(const ReportOptions& options);

// A --user value (name or uid) as a uid; nullopt for an unknown name.
std::optional<std::uint32_t> uid_of_user(const std::string& text);

struct WhyOptions {
    std::string db_path = kDefaultDbPath;
    long long pid = -1;
    std::string at;
    bool json = false;
    StoreVisibility visibility;  // not an option: the query socket's caller
};
void add_why_options(CLI::App& cmd, WhyOptions& options);
int run_why(const WhyOptions& options);

struct TreeOptions {
    std::string db_path = kDefaultDbPath;
    std::string at;
    bool json = false;
    bool wide = false;           // on a terminal, lines are cut to its width without it
    StoreVisibility visibility;  // not an option: the query socket's caller
};
void add_tree_options(CLI::App& cmd, TreeOptions& options);
int run_tree(const TreeOptions& options);

}  // namespace hupwatch
