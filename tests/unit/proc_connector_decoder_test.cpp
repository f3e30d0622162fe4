// Proc connector datagrams, built by hand as cn_proc.c sends them (a netlink
// header, a cn_msg, a struct proc_event), decoded; and ones that lie.
#include "proc_connector_decoder.h"

#include <gtest/gtest.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include <cstring>
#include <vector>

namespace hupwatch {
namespace {

struct CbId {
    std::uint32_t idx;
    std::uint32_t val;
};

// One netlink message of the proc connector: what, timestamp, and the first
// two pids of event_data; the rest of proc_event zero, as the kernel sends.
std::vector<std::byte> connector_message(std::uint32_t what, std::uint32_t pid, std::uint32_t tgid,
                                         std::uint64_t timestamp_ns,
                                         CbId id = {CN_IDX_PROC, CN_VAL_PROC}) {
    proc_event ev{};
    std::memcpy(&ev, &what, sizeof what);  // the enum member `what`, by its offset 0
    ev.cpu = 1;
    ev.timestamp_ns = timestamp_ns;
    ev.event_data.sid.process_pid = static_cast<__kernel_pid_t>(pid);
    ev.event_data.sid.process_tgid = static_cast<__kernel_pid_t>(tgid);
    cn_msg cn{};
    cn.id.idx = id.idx;
    cn.id.val = id.val;
    cn.seq = 7;
    cn.len = sizeof ev;
    nlmsghdr header{};
    header.nlmsg_len = NLMSG_LENGTH(sizeof cn + sizeof ev);
    header.nlmsg_type = NLMSG_DONE;
    std::vector<std::byte> out(NLMSG_SPACE(sizeof cn + sizeof ev));
    std::memcpy(out.data(), &header, sizeof header);
    std::memcpy(out.data() + NLMSG_HDRLEN, &cn, sizeof cn);
    std::memcpy(out.data() + NLMSG_HDRLEN + sizeof cn, &ev, sizeof ev);
    return out;
}

TEST(ProcConnectorDecoder, SidMessageIsDecoded) {
    auto datagram = connector_message(kProcEventSid, 4243, 4242, 987'654'321'000ULL);
    auto decoded = decode_proc_connector_datagram(datagram);
    EXPECT_EQ(decoded.malformed, 0u);
    ASSERT_EQ(decoded.messages.size(), 1u);
    const auto& m = decoded.messages[0];
    EXPECT_EQ(m.what, kProcEventSid);
    EXPECT_EQ(m.pid, 4243u);
    EXPECT_EQ(m.tgid, 4242u);
    EXPECT_EQ(m.monotonic_ns, 987'654'321'000ULL);
}

TEST(ProcConnectorDecoder, ForkMessageIsReportedAsItsOwnType) {
    // A kernel that ignored the filter sends forks: they must not pass as setsid.
    auto datagram = connector_message(kProcEventFork, 100, 100, 5);
    auto decoded = decode_proc_connector_datagram(datagram);
    EXPECT_EQ(decoded.malformed, 0u);
    ASSERT_EQ(decoded.messages.size(), 1u);
    EXPECT_EQ(decoded.messages[0].what, kProcEventFork);
    EXPECT_NE(decoded.messages[0].what, kProcEventSid);
}

TEST(ProcConnectorDecoder, TwoMessagesInOneDatagram) {
    auto datagram = connector_message(kProcEventSid, 1, 1, 10);
    auto second = connector_message(kProcEventExit, 2, 2, 20);
    datagram.insert(datagram.end(), second.begin(), second.end());
    auto decoded = decode_proc_connector_datagram(datagram);
    EXPECT_EQ(decoded.malformed, 0u);
    ASSERT_EQ(decoded.messages.size(), 2u);
    EXPECT_EQ(decoded.messages[1].what, kProcEventExit);
    EXPECT_EQ(decoded.messages[1].tgid, 2u);
}

TEST(ProcConnectorDecoder, TruncatedDatagramsAreCountedNotRead) {
    const auto whole = connector_message(kProcEventSid, 4243, 4242, 1);
    // Every cut: inside the netlink header, inside cn_msg, inside proc_event.
    for (std::size_t size = 1; size < whole.size(); ++size) {
        std::vector<std::byte> cut(whole.begin(), whole.begin() + static_cast<long>(size));
        auto decoded = decode_proc_connector_datagram(cut);
        EXPECT_TRUE(decoded.messages.empty()) << size;
        EXPECT_EQ(decoded.malformed, 1u) << size;
    }
    EXPECT_TRUE(decode_proc_connector_datagram({}).messages.empty());
}

TEST(ProcConnectorDecoder, LyingLengthsAreCounted) {
    auto datagram = connector_message(kProcEventSid, 4243, 4242, 1);
    // cn_msg.len beyond the netlink message.
    cn_msg cn{};
    std::memcpy(&cn, datagram.data() + NLMSG_HDRLEN, sizeof cn);
    cn.len = 4000;
    std::memcpy(datagram.data() + NLMSG_HDRLEN, &cn, sizeof cn);
    auto decoded = decode_proc_connector_datagram(datagram);
    EXPECT_TRUE(decoded.messages.empty());
    EXPECT_EQ(decoded.malformed, 1u);

    // nlmsg_len shorter than a netlink header: nothing after it can be framed.
    auto short_header = connector_message(kProcEventSid, 1, 1, 1);
    nlmsghdr header{};
    std::memcpy(&header, short_header.data(), sizeof header);
    header.nlmsg_len = 3;
    std::memcpy(short_header.data(), &header, sizeof header);
    decoded = decode_proc_connector_datagram(short_header);
    EXPECT_TRUE(decoded.messages.empty());
    EXPECT_EQ(decoded.malformed, 1u);
}

TEST(ProcConnectorDecoder, AnotherConnectorIsNotTheProcConnector) {
    auto datagram = connector_message(kProcEventSid, 1, 1, 1, {CN_IDX_PROC + 1, CN_VAL_PROC});
    auto decoded = decode_proc_connector_datagram(datagram);
    EXPECT_TRUE(decoded.messages.empty());
    EXPECT_EQ(decoded.malformed, 1u);
}

}  // namespace
}  // namespace hupwatch
