// Where a JSON line was recorded: the "host" and "boot_id" keys that end it
// (docs/events.md, "Fleet fields"). Live outputs add "seq" after them
// (exporters/sinks/fleet_fields.h); lines read back from the store take both
// from the run that recorded them (runs.hostname, runs.boot_id) and have no
// seq, which numbers a live output only.
#pragma once

#include <string>
#include <string_view>

namespace hupwatch {

// The boot id as JSON lines carry it: the kernel's UUID
// (/proc/sys/kernel/random/boot_id) without dashes, in lowercase, the form
// of journald's _BOOT_ID. The store's runs.boot_id keeps the dashes.
std::string boot_id_hex(std::string_view uuid);

// Appends "host" and "boot_id" (already boot_id_hex's form) as the last keys
// of a one-line JSON object; anything else is returned as it is.
std::string with_origin_keys(std::string json_object, std::string_view host,
                             std::string_view boot_id);

}  // namespace hupwatch
