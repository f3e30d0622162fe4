// The readers (why, replay, tree) over the query socket. The daemon answers
// a request by running the same command, with the same options and
// renderers, against its own store, seeing only the caller's processes
// unless the caller is root. The CLI asks the daemon when it cannot open the
// database itself (docs/cli.md, "Answers for ordinary users").
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "exit_codes.h"
#include "query_protocol.h"
#include "query_server.h"

namespace CLI {
class App;
}

namespace hupwatch {

// The daemon's side: one request, by one caller, on the store at db_path.
// Never throws; a bad command or option is an answer with exit code 2.
QueryAnswer answer_query(const QueryRequest& request, const QueryCaller& caller,
                         const std::string& db_path);

// The CLI's side. --query.socket on why, replay and tree.
void add_query_client_option(CLI::App& cmd, std::string& socket_path);
// The database cannot be opened by this user (permissions): ask the daemon.
bool store_needs_daemon(const std::string& db_path);
// How long the CLI waits for the whole answer (docs/cli.md): a replay of a
// month is seconds, and a daemon that accepts but never answers must not
// hold the caller.
inline constexpr std::chrono::seconds kAnswerTimeout{30};

// Sends `command` with the arguments it was given (argv after the command
// word, without --query.socket), prints the answer, returns its exit code;
// one line and kExitNoDaemon when no daemon answers within `timeout`.
int ask_daemon_for(const std::string& command, const std::vector<std::string>& args,
                   const std::string& socket_path, const std::string& db_path,
                   std::chrono::seconds timeout = kAnswerTimeout);
// argv after the command word, without --query.socket and its value.
std::vector<std::string> forwarded_args(int argc, char** argv);

}  // namespace hupwatch
