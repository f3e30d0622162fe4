#include "fleet_fields.h"

#include <sys/utsname.h>

#include <fstream>

#include "origin_keys.h"

namespace hupwatch {
namespace {

// Stable forever: operators filter on them (journalctl MESSAGE_ID=...).
// Documented in docs/events.md and deploy/journald/hupwatch.catalog; a unit
// test checks the three agree. A new finding type gets a new row.
struct MessageId {
    std::string_view event;
    std::string_view verdict;  // empty: any, or not a verdict
    std::string_view id;
};
constexpr MessageId kMessageIds[] = {
    {"disconnect", "", "f362a3ee85eb41ac932518f05e32a873"},
    {"session_end", "", "55094aaafaf14a5cb7c06eb6ec5d9f5f"},
    {"verdict", "killed_by_disconnect", "03a2c54bc59542feb95c660e07231b5e"},
    {"verdict", "killed_by_logout", "ed9c4b9bebc142419aead1618c34b809"},
    {"verdict", "died_after_disconnect", "f3c0a579812d496da6489d6ef7f4b9c5"},
    {"verdict", "orphaned", "ff900c4cd3a6480e930f7844cf279b2e"},
    {"verdict", "daemonized", "08b034f856ce4a0d8989727e28254fd8"},
    {"verdict", "killed", "d1f383a388e54f0293e45db1e43c810c"},
    {"verdict", "", "bbc8c3c0ef94474dacba57b891eb290b"},
};

std::string read_boot_id() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string text;
    std::getline(in, text);
    return boot_id_hex(text);
}

}  // namespace

HostIdentity HostIdentity::of_this_host() {
    HostIdentity identity;
    struct utsname u {};
    identity.host = uname(&u) == 0 ? u.nodename : "unknown";
    identity.boot_id = read_boot_id();
    return identity;
}

std::string with_fleet_fields(std::string json_object, const HostIdentity& identity,
                              std::uint64_t seq) {
    if (json_object.empty() || json_object.back() != '}') return json_object;
    json_object = with_origin_keys(std::move(json_object), identity.host, identity.boot_id);
    json_object.pop_back();
    json_object += ",\"seq\":" + std::to_string(seq) + "}";
    return json_object;
}

std::string_view journald_message_id(std::string_view event, std::string_view verdict) {
    for (const auto& row : kMessageIds)
        if (row.event == event && row.verdict == verdict) return row.id;
    for (const auto& row : kMessageIds)
        if (row.event == event && row.verdict.empty()) return row.id;
    return {};
}

}  // namespace hupwatch
