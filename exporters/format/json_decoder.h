// The JSON lines of docs/events.md back into the Event and Finding types
// they were written from (event_json, finding_format): the one read path of
// the store, recorded captures and `replay --reanalyze`.
//
// What the lines do not carry comes back as the encoder's image of it: times
// to the microsecond, a wait status from exit_code/signal/core_dumped, a tty
// dev from its name, via and new_parent without their start. Encoding a
// decoded line gives the same line again (tests/unit/json_decoder_test.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "boot_clock.h"
#include "events.h"
#include "findings.h"

namespace hupwatch {

using DecodedLine = std::variant<Event, Finding>;

// nullopt with a one-line `error` for a line that is not JSON, not an event
// or finding (e.g. replay's hupwatch_start), or lacks a key of its kind.
// `clock` maps the "time" values back to boot ns. Never throws.
std::optional<DecodedLine> decode_json_line(std::string_view line, const BootClock& clock,
                                            std::string& error);

}  // namespace hupwatch
