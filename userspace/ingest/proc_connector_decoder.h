// The kernel's process events connector (drivers/connector/cn_proc.c), as it
// arrives on a NETLINK_CONNECTOR socket: netlink messages, each a cn_msg
// followed by one struct proc_event (linux/cn_proc.h). Pure, so that unit
// tests can feed it hand-built datagrams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hupwatch {

// The message types read here (enum what in struct proc_event, linux/cn_proc.h).
inline constexpr std::uint32_t kProcEventNone = 0x00000000;  // an ack
inline constexpr std::uint32_t kProcEventFork = 0x00000001;
inline constexpr std::uint32_t kProcEventSid = 0x00000080;
inline constexpr std::uint32_t kProcEventExit = 0x80000000;

struct ProcConnectorMessage {
    std::uint32_t what = 0;  // kProcEvent*
    // The first two pids of event_data: the process's thread and thread
    // group for SID, EXEC, EXIT, UID, GID, COMM; the parent's for FORK.
    std::uint32_t pid = 0;
    std::uint32_t tgid = 0;
    // ev->timestamp_ns: ktime_get_ns(), CLOCK_MONOTONIC (not the boot clock).
    std::uint64_t monotonic_ns = 0;
};

struct ProcConnectorDatagram {
    std::vector<ProcConnectorMessage> messages;
    // Netlink messages cut short, of another type, or of another connector;
    // the rest of a datagram whose netlink header is bad is counted as one.
    std::uint64_t malformed = 0;
};

// Every proc connector message in one received datagram.
ProcConnectorDatagram decode_proc_connector_datagram(std::span<const std::byte> datagram);

}  // namespace hupwatch
