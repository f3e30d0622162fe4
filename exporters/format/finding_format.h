// Findings (disconnect, session_end, verdict) as JSON lines and as text
// lines, on the same stream and with the same common keys as raw events.
// The JSON form is a public contract: docs/events.md.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "boot_clock.h"
#include "findings.h"

namespace hupwatch {

nlohmann::ordered_json to_json(const Finding& finding, const BootClock& clock);
std::string to_json_line(const Finding& finding, const BootClock& clock);
std::string to_text_line(const Finding& finding, const BootClock& clock);

// A `killed` verdict's cause in a sentence, unescaped: "killed by SIGTERM
// from `kill 4242` run by bob (logged in as alice) on pts/7". Empty for other
// verdicts. Also written as the verdict's "summary" key, so stored verdicts
// read back the same.
std::string kill_sentence(const Verdict& verdict);

// "12m40s", "3h02m", "850ms": run times for people.
std::string human_duration(std::uint64_t ns);

}  // namespace hupwatch
