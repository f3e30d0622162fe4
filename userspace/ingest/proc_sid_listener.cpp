#include "proc_sid_listener.h"

#include <fmt/format.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <span>

#include "pid_namespace.h"
#include "proc_connector_decoder.h"

namespace hupwatch {
namespace {

// struct proc_input (linux/cn_proc.h, Linux 6.6): the subscription with its
// event filter. Debian 12's headers predate it; the layout is two u32.
struct ProcInput {
    std::uint32_t mcast_op;
    std::uint32_t event_type;
};

// A setsid storm must not overflow the socket between two polls (0.1 s).
constexpr int kReceiveBufferBytes = 1 << 20;

std::int64_t now_ns(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The connector stamps with ktime_get_ns() (CLOCK_MONOTONIC); our events use
// CLOCK_BOOTTIME. The two differ by the time spent suspended, read now.
std::int64_t boot_minus_monotonic_ns() {
    const std::int64_t mono = now_ns(CLOCK_MONOTONIC);
    return now_ns(CLOCK_BOOTTIME) - mono;
}

std::string errno_text(const char* what) {
    return fmt::format("{}: {}", what, strerror(errno));
}

// Every datagram ready now, decoded, to `on_message`. Only the kernel's
// datagrams count: any local process may send to a netlink port.
template <typename OnMessage>
int read_messages(int fd, ProcSidCounters& counters, OnMessage on_message) {
    std::array<std::byte, 8192> buffer;
    for (;;) {
        sockaddr_nl from{};
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(fd, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC,
                             reinterpret_cast<sockaddr*>(&from), &from_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOBUFS) {  // the kernel dropped messages: say so, go on
                ++counters.overflows;
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        }
        if (from.nl_pid != 0 || static_cast<std::size_t>(n) > buffer.size()) {
            ++counters.malformed;  // not the kernel's, or cut short
            continue;
        }
        auto decoded =
            decode_proc_connector_datagram(std::span(buffer.data(), static_cast<std::size_t>(n)));
        counters.malformed += decoded.malformed;
        for (const auto& message : decoded.messages) on_message(message);
    }
}

}  // namespace

std::unique_ptr<ProcSidListener> ProcSidListener::start(std::string& why) {
    if (auto inode = own_pid_namespace_inode(); inode && *inode != kInitialPidNamespaceInode) {
        why = "the proc connector answers only the initial pid namespace";
        return nullptr;
    }
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd < 0) {
        why = errno_text("no NETLINK_CONNECTOR socket");
        return nullptr;
    }
    std::unique_ptr<ProcSidListener> listener(new ProcSidListener(fd));
    // Best effort: net.core.rmem_max caps it, and the default still works.
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBufferBytes, sizeof kReceiveBufferBytes);
    sockaddr_nl address{};
    address.nl_family = AF_NETLINK;
    address.nl_groups = CN_IDX_PROC;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        why = errno_text("cannot join the proc connector's group");
        return nullptr;
    }
    if (!listener->subscribe(PROC_CN_MCAST_LISTEN, why) || !listener->self_check(why))
        return nullptr;
    listener->counters_.active = true;
    return listener;
}

ProcSidListener::~ProcSidListener() {
    // The kernel builds every connector message while anyone listens: say
    // we stop (cn_proc_mcast_ctl counts listeners).
    if (subscribed_) {
        std::string ignored;
        subscribe(PROC_CN_MCAST_IGNORE, ignored);
    }
    close(fd_);
}

// cn_proc_mcast_ctl() reads a proc_input of exactly 8 bytes as the filter;
// a kernel before 6.6 drops a message of that size without a word.
bool ProcSidListener::subscribe(std::uint32_t op, std::string& why) {
    constexpr std::size_t kPayload = sizeof(cn_msg) + sizeof(ProcInput);
    std::array<std::byte, NLMSG_SPACE(kPayload)> message{};
    nlmsghdr header{};
    header.nlmsg_len = NLMSG_LENGTH(kPayload);
    header.nlmsg_type = NLMSG_DONE;
    cn_msg cn{};
    cn.id.idx = CN_IDX_PROC;
    cn.id.val = CN_VAL_PROC;
    cn.len = sizeof(ProcInput);
    const ProcInput input{op, kProcEventSid};
    std::memcpy(message.data(), &header, sizeof header);
    std::memcpy(message.data() + NLMSG_HDRLEN, &cn, sizeof cn);
    std::memcpy(message.data() + NLMSG_HDRLEN + sizeof cn, &input, sizeof input);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (sendto(fd_, message.data(), header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
        why = errno_text("the proc connector refused the subscription");
        return false;
    }
    subscribed_ = op == PROC_CN_MCAST_LISTEN;
    return true;
}

// A kernel that ignores the filter sends every fork and exit: our child's
// fork comes before its setsid, so the first message of another type
// proves it, and then the listener is not used.
bool ProcSidListener::self_check(std::string& why) {
    const pid_t child = fork();
    if (child < 0) {
        why = errno_text("fork for the proc connector's check failed");
        return false;
    }
    if (child == 0) {
        setsid();
        _exit(0);
    }
    while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
    bool seen = false;
    std::uint32_t other = 0;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kSelfCheckMs);
    while (!seen && other == 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd ready{fd_, POLLIN, 0};
        if (::poll(&ready, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
            why = errno_text("poll on the proc connector failed");
            return false;
        }
        int rc = read_messages(fd_, counters_, [&](const ProcConnectorMessage& m) {
            if (m.what != kProcEventSid)
                other = m.what;
            else if (m.tgid == static_cast<std::uint32_t>(child))
                seen = true;
        });
        if (rc < 0) {
            why = fmt::format("reading the proc connector failed: {}", strerror(-rc));
            return false;
        }
    }
    if (other != 0)
        why = fmt::format(
            "the kernel ignored the event filter (a message of type {:#x} came; the filter needs "
            "Linux 6.6)",
            other);
    else if (!seen)
        why = fmt::format(
            "no setsid message for a child within {} ms (the connector answers only the initial "
            "pid and user namespaces; the filter needs Linux 6.6)",
            kSelfCheckMs);
    return seen && other == 0;
}

int ProcSidListener::drain(const std::function<void(const SetsidMoment&)>& on_sid) {
    const std::int64_t offset = boot_minus_monotonic_ns();
    return read_messages(fd_, counters_, [&](const ProcConnectorMessage& m) {
        if (m.what != kProcEventSid) {
            ++counters_.other_events;
            return;
        }
        ++counters_.messages;
        on_sid(SetsidMoment{
            m.tgid, m.pid,
            static_cast<std::uint64_t>(static_cast<std::int64_t>(m.monotonic_ns) + offset)});
    });
}

}  // namespace hupwatch
