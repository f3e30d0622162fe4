// What lets a fleet's log pipeline tell hosts, boots and lost lines apart:
// every JSON line and journald entry carries host, boot_id and seq
// (docs/events.md, "Fleet fields"); journald entries carry a MESSAGE_ID per
// finding type (deploy/journald/hupwatch.catalog).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hupwatch {

// The host's name and this boot's id, read once when the daemon starts.
struct HostIdentity {
    std::string host;     // uname's nodename
    std::string boot_id;  // /proc/sys/kernel/random/boot_id, 32 hex digits as journald writes it

    static HostIdentity of_this_host();
};

// Numbers the lines of one output: 1, 2, 3... from the output's start. The
// boot_id scopes it; a gap means lost lines, a restart at 1 a new daemon.
class LineSequence {
   public:
    std::uint64_t peek() const { return last_ + 1; }
    std::uint64_t next() { return ++last_; }

   private:
    std::uint64_t last_ = 0;
};

// Appends "host", "boot_id" and "seq" as the last keys of a one-line JSON
// object (the renderers in exporters/format leave them to the output that
// numbers the lines).
std::string with_fleet_fields(std::string json_object, const HostIdentity& identity,
                              std::uint64_t seq);

// The journal MESSAGE_ID (32 hex digits) of a finding, from its "event" and,
// for verdicts, its "verdict" value; a verdict kind without its own id gets
// the generic verdict id.
std::string_view journald_message_id(std::string_view event, std::string_view verdict);

}  // namespace hupwatch
