#include "proc_connector_decoder.h"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include <cstddef>
#include <cstring>

namespace hupwatch {
namespace {

// struct proc_event: what (u32), cpu (u32), timestamp_ns (u64), event_data.
constexpr std::size_t kWhatAt = 0;
constexpr std::size_t kTimestampAt = 8;
constexpr std::size_t kEventDataAt = 16;
static_assert(offsetof(proc_event, timestamp_ns) == kTimestampAt);
static_assert(offsetof(proc_event, event_data) == kEventDataAt);
static_assert(kProcEventNone == proc_event::PROC_EVENT_NONE);
static_assert(kProcEventFork == proc_event::PROC_EVENT_FORK);
static_assert(kProcEventSid == proc_event::PROC_EVENT_SID);
static_assert(kProcEventExit == proc_event::PROC_EVENT_EXIT);
// What is read: up to the first two pids of event_data. cn_proc.c sends the
// whole struct; no kernel sends less than this.
constexpr std::size_t kProcEventHead = kEventDataAt + 2 * sizeof(std::uint32_t);

bool decode_connector_payload(std::span<const std::byte> payload, ProcConnectorMessage& out) {
    cn_msg cn{};
    if (payload.size() < sizeof cn) return false;
    std::memcpy(&cn, payload.data(), sizeof cn);
    if (cn.id.idx != CN_IDX_PROC || cn.id.val != CN_VAL_PROC) return false;
    if (cn.len < kProcEventHead || cn.len > payload.size() - sizeof cn) return false;
    const std::byte* ev = payload.data() + sizeof cn;  // unaligned: read by memcpy
    std::memcpy(&out.what, ev + kWhatAt, sizeof out.what);
    std::memcpy(&out.monotonic_ns, ev + kTimestampAt, sizeof out.monotonic_ns);
    std::memcpy(&out.pid, ev + kEventDataAt, sizeof out.pid);
    std::memcpy(&out.tgid, ev + kEventDataAt + sizeof out.pid, sizeof out.tgid);
    return true;
}

}  // namespace

ProcConnectorDatagram decode_proc_connector_datagram(std::span<const std::byte> datagram) {
    ProcConnectorDatagram out;
    std::size_t at = 0;
    while (at < datagram.size()) {
        nlmsghdr header{};
        const std::size_t left = datagram.size() - at;
        if (left < sizeof header) {
            ++out.malformed;
            break;
        }
        std::memcpy(&header, datagram.data() + at, sizeof header);
        if (header.nlmsg_len < sizeof header || header.nlmsg_len > left) {
            ++out.malformed;  // the rest cannot be framed
            break;
        }
        // cn_netlink_send_mult() frames every connector message as NLMSG_DONE.
        ProcConnectorMessage message;
        auto payload = datagram.subspan(at + sizeof header, header.nlmsg_len - sizeof header);
        if (header.nlmsg_type == NLMSG_DONE && decode_connector_payload(payload, message))
            out.messages.push_back(message);
        else
            ++out.malformed;
        at += NLMSG_ALIGN(header.nlmsg_len);
    }
    return out;
}

}  // namespace hupwatch
