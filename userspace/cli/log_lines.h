// What every stage logs through spdlog (a store batch that failed, a JSON
// file that cannot be written, a malformed BPF record) goes to stderr as one
// line starting "hupwatch: ", as every error of the command line does
// (docs/cli.md, "Exit codes"). stdout is the command's output alone: `run
// --events.json -` writes JSON lines there, and spdlog's default logger
// would write there too, in its own format.
#pragma once

#include <string>
#include <string_view>

namespace hupwatch {

// Makes spdlog's default logger the one above; main() calls it first.
void send_logs_to_stderr();

// The line a logged message becomes: "hupwatch: " unless it starts so,
// line breaks folded to blanks, a newline at the end.
std::string log_line(std::string_view message);

}  // namespace hupwatch
