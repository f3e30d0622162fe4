// `hupwatch ps`: the forest of process_forest.h as text, like
// `ps -ef --forest`, or as one JSON document (docs/ps.md).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "process_forest.h"

namespace hupwatch {

// "[[d-]hh:]mm:ss", as ps prints elapsed time.
std::string format_run_time(std::uint64_t ns);

// A header line, then one line per process in depth-first order, children
// indented under " \_ ". Every string from a process is escaped.
std::string forest_text(const ProcessForest& forest);

// {"processes": [root, ...]}, each process with its "children".
nlohmann::ordered_json forest_json(const ProcessForest& forest);

}  // namespace hupwatch
