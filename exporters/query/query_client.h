// The client side of the query socket (query_protocol.h): send one request,
// read the whole answer.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "query_protocol.h"

namespace hupwatch {

enum class AskFailure { None, NoDaemon, Broken };

// nullopt with a one-line error: NoDaemon when nothing listens on `path`
// (no file, refused) or nothing answers before `timeout` has passed since
// the call (a whole bound: connect, send and every read within it); Broken
// for a dead connection or an answer that is not one.
std::optional<QueryAnswer> ask_daemon(const std::string& path, const QueryRequest& request,
                                      std::chrono::seconds timeout, AskFailure& failure,
                                      std::string& error);

}  // namespace hupwatch
