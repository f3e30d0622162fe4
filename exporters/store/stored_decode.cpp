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

// A row's JSON line as T (Event or Finding); `misplaced` names the other
// kind found in its place. Each row holds its run's clock: wall_ns - ktime_ns.
template <typename T, typename Row>
std::optional<T> decode_row(const Row& row, const char* misplaced, std::string& error) {
    const BootClock clock(row.wall_ns - static_cast<std::int64_t>(row.ktime_ns));
    auto decoded = decode_json_line(row.json, clock, error);
    if (!decoded) return std::nullopt;
    auto* value = std::get_if<T>(&*decoded);
    if (!value) {
        error = misplaced;
        return std::nullopt;
    }
    return std::move(*value);
}

}  // namespace

std::optional<Event> decode_stored(const StoredEvent& stored, std::string& error) {
    auto event = decode_row<Event>(stored, "a finding in the events table", error);
    if (event) event->ktime_ns = stored.ktime_ns;
    return event;
}

std::optional<Finding> decode_stored(const StoredFinding& stored, std::string& error) {
    return decode_row<Finding>(stored, "an event in the findings table", error);
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
