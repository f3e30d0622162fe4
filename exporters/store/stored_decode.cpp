// Stored rows into the live path's own types (the one read path): an
// event or finding decodes from its stored JSON line as the live sinks
// wrote it, a seed becomes the /proc snapshot the live table was seeded with.
#include <utility>
#include <variant>

#include "event_store_reader.h"
#include "json_decoder.h"
#include "tty_names.h"

namespace hupwatch {

namespace {

// Each row holds its run's clock: wall_ns - ktime_ns.
BootClock clock_of(std::int64_t wall_ns, std::uint64_t ktime_ns) {
    return BootClock(wall_ns - static_cast<std::int64_t>(ktime_ns));
}

}  // namespace

std::optional<Event> decode_stored(const StoredEvent& stored, std::string& error) {
    auto decoded = decode_json_line(stored.json, clock_of(stored.wall_ns, stored.ktime_ns), error);
    if (!decoded) return std::nullopt;
    auto* event = std::get_if<Event>(&*decoded);
    if (!event) {
        error = "a finding in the events table";
        return std::nullopt;
    }
    event->ktime_ns = stored.ktime_ns;
    return std::move(*event);
}

std::optional<Finding> decode_stored(const StoredFinding& stored, std::string& error) {
    auto decoded = decode_json_line(stored.json, clock_of(stored.wall_ns, stored.ktime_ns), error);
    if (!decoded) return std::nullopt;
    auto* finding = std::get_if<Finding>(&*decoded);
    if (!finding) {
        error = "an event in the findings table";
        return std::nullopt;
    }
    return std::move(*finding);
}

ProcSnapshot snapshot_of(const StoredSeed& seed) {
    ProcSnapshot snap;
    snap.info.pid = seed.pid;
    snap.info.tid = seed.pid;
    snap.info.ppid = seed.ppid;
    snap.info.pgid = seed.pgid;
    snap.info.sid = seed.sid;
    snap.info.uid = seed.uid;
    snap.info.loginuid = seed.loginuid;
    snap.info.tty_dev = seed.tty.empty() ? 0 : tty_dev_of(seed.tty).value_or(0);
    snap.info.start_ns = seed.start_ns;
    snap.info.comm = seed.comm;
    snap.argv = seed.argv;
    snap.exe = seed.exe;
    snap.start_tick_ns = seed.start_tick_ns;
    return snap;
}

}  // namespace hupwatch
