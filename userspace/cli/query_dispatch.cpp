#include "query_dispatch.h"

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>

#include "cli_commands.h"
#include "console.h"
#include "query_client.h"

namespace hupwatch {
namespace {

constexpr const char* kSocketOption = "--query.socket";

// One reader at a time: the commands use process-wide lookups (getpwuid)
// and one query's working set is enough on a monitored host.
std::mutex running;

// Parses args as `command`'s options, then runs it captured.
template <typename Options>
QueryAnswer run_captured(const std::string& command, const std::vector<std::string>& args,
                         void (*add)(CLI::App&, Options&), int (*run)(const Options&),
                         const std::function<void(Options&)>& restrict) {
    Options options;
    CLI::App app{"hupwatch " + command};
    app.name(command);
    add(app, options);
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        // --help too: the client has the same help locally.
        return error_answer(kExitUsage,
                            fmt::format("hupwatch: {} (see hupwatch --help)", e.what()));
    }
    restrict(options);
    std::lock_guard lock(running);
    ConsoleCapture capture;
    int code;
    try {
        code = run(options);
    } catch (const std::exception& e) {
        return error_answer(kExitFailure, fmt::format("hupwatch: the query failed: {}", e.what()));
    }
    return QueryAnswer{code, std::move(capture.out), std::move(capture.err)};
}

}  // namespace

QueryAnswer answer_query(const QueryRequest& request, const QueryCaller& caller,
                         const std::string& db_path) {
    StoreVisibility visibility;
    if (caller.uid != 0) visibility.uid = caller.uid;
    if (request.command == "why")
        return run_captured<WhyOptions>(request.command, request.args, add_why_options, run_why,
                                        [&](WhyOptions& o) {
                                            o.db_path = db_path;
                                            o.visibility = visibility;
                                        });
    if (request.command == "tree")
        return run_captured<TreeOptions>(request.command, request.args, add_tree_options, run_tree,
                                         [&](TreeOptions& o) {
                                             o.db_path = db_path;
                                             o.visibility = visibility;
                                         });
    if (request.command == "replay") {
        bool reanalyze = std::find(request.args.begin(), request.args.end(), "--reanalyze") !=
                         request.args.end();
        // The correlator needs every process's events, not one user's.
        if (reanalyze && visibility.uid)
            return error_answer(kExitFailure,
                                "hupwatch: replay --reanalyze reads every user's events: run it "
                                "as root");
        return run_captured<ReplayOptions>(request.command, request.args, add_replay_options,
                                           run_replay, [&](ReplayOptions& o) {
                                               o.db_path = db_path;
                                               o.visibility = visibility;
                                           });
    }
    return error_answer(kExitUsage,
                        fmt::format("hupwatch: the query socket answers why, replay and tree, "
                                    "not '{}'",
                                    request.command.substr(0, 64)));
}

void add_query_client_option(CLI::App& cmd, std::string& socket_path) {
    cmd.add_option(kSocketOption, socket_path,
                   "The daemon's query socket, asked when the store is not readable")
        ->capture_default_str();
}

bool store_needs_daemon(const std::string& db_path) {
    int fd = open(db_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        return false;
    }
    return errno == EACCES || errno == EPERM;
}

std::vector<std::string> forwarded_args(int argc, char** argv) {
    std::vector<std::string> args;
    const std::string prefix = std::string(kSocketOption) + "=";
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        if (a == kSocketOption) {
            ++i;  // and its value
            continue;
        }
        if (a.rfind(prefix, 0) == 0) continue;
        args.push_back(std::move(a));
    }
    return args;
}

int ask_daemon_for(const std::string& command, const std::vector<std::string>& args,
                   const std::string& socket_path, const std::string& db_path,
                   std::chrono::seconds timeout) {
    AskFailure failure;
    std::string error;
    auto answer = ask_daemon(socket_path, QueryRequest{command, args}, timeout, failure, error);
    if (!answer) {
        if (failure == AskFailure::NoDaemon) {
            say("hupwatch: cannot read {} ({}), and {}", db_path, std::strerror(EACCES), error);
            return kExitNoDaemon;
        }
        say("hupwatch: {}", error);
        return kExitFailure;
    }
    bool ok = write_stdout(answer->out);
    write_stderr(answer->err);
    return ok || answer->exit_code != kExitOk ? answer->exit_code : kExitFailure;
}

}  // namespace hupwatch
