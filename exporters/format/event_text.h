// Events as one human-readable line each, for a terminal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "boot_clock.h"
#include "events.h"

namespace hupwatch {

// "08:21:24.123 exec     4242 bash      /usr/bin/sleep [\"sleep\",\"30\"]"
// Local time of day, event name, pid, comm, then per-type details. No
// trailing newline.
std::string to_text_line(const Event& event, const BootClock& clock);

// Makes traced-process strings safe to print: no byte reaches the terminal
// that could move the cursor, start an escape sequence or reorder text.
// ASCII controls and DEL become \n, \t, \r or \xNN; a backslash doubles;
// bytes that are not valid UTF-8 become \xNN; C1 controls and the Unicode
// bidirectional overrides become \u{NNNN}. With quoted, '"' becomes \".
std::string escape_for_terminal(std::string_view text, bool quoted = false);

// A command line as ps shows it: the escaped argv joined by spaces, or, with
// no argv (a kernel thread, a zombie), the escaped comm in brackets.
std::string command_for_terminal(const std::vector<std::string>& argv, std::string_view comm);

}  // namespace hupwatch
