// Stored events and findings as plain sentences, for replay and why:
// "ssh session 815 of alice on pts/3 hung up (sshd 812)", "bash 815
// forwarded SIGHUP to migrate.sh 901", "migrate.sh 901 killed by SIGHUP
// after 12m40s". Traced processes' bytes are escaped for the terminal.
#pragma once

#include <cstdint>
#include <string>

#include "event_store_reader.h"

namespace hupwatch {

// "14:03:07" when wall_ns falls on the local day of now_wall_ns, else
// "2026-11-27 14:03:07" (TZ applies).
std::string local_stamp(std::int64_t wall_ns, std::int64_t now_wall_ns);
// The same with milliseconds: "14:03:07.120".
std::string local_stamp_ms(std::int64_t wall_ns, std::int64_t now_wall_ns);
// RFC 3339 UTC with microseconds, as in the JSON lines.
std::string rfc3339_wall(std::int64_t wall_ns);

std::string event_sentence(const StoredEvent& event);
std::string finding_sentence(const StoredFinding& finding);

}  // namespace hupwatch
