// Events as JSON lines: the public output contract, documented in
// docs/events.md. Keys and their order are fixed; change them only together
// with the document.
#pragma once

#include <string>
#include <string_view>

#include "boot_clock.h"
#include "events.h"

namespace hupwatch {

// The "event" value: the EventType name, except that session events are
// named by their call ("setsid", "setpgid").
std::string_view output_event_name(const Event& event);

// One line of JSON without the trailing newline. Never throws on bad bytes:
// invalid UTF-8 becomes U+FFFD, control characters are \u-escaped.
std::string to_json_line(const Event& event, const BootClock& clock);

}  // namespace hupwatch
