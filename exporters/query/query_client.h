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
// (no file, refused), Broken for a dead connection, a timeout or an answer
// that is not one.
std::optional<QueryAnswer> ask_daemon(const std::string& path, const QueryRequest& request,
                                      std::chrono::seconds timeout, AskFailure& failure,
                                      std::string& error);

}  // namespace hupwatch
