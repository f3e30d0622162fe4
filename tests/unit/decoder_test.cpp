// Raw ring-buffer records to typed events, including records that lie.
#include "decoder.h"

#include <gtest/gtest.h>

#include <cstring>

#include "hupwatch_events.h"

namespace hupwatch {
namespace {

template <typename Raw>
std::span<const std::byte> bytes_of(const Raw& raw, std::size_t size = sizeof(Raw)) {
    return std::span(reinterpret_cast<const std::byte*>(&raw), size);
}

hw_process sample_process(std::uint32_t pid) {
    hw_process p{};
    p.pid = pid;
    p.tid = pid + 1;
    p.ppid = 1;
    p.pgid = pid;
    p.sid = 900;
    p.uid = 1000;
    p.loginuid = 1000;
    p.audit_session = 7;
    p.tty_dev = (136u << 20) | 3;
    p.start_ns = 123456789;
    p.cgroup_id = 42;
    std::memcpy(p.comm, "0123456789abcdef", 16);  // full width, no NUL
    return p;
}

TEST(Decoder, ExecSplitsArgvAndBoundsStrings) {
    auto raw = std::make_unique<hw_exec_event>();
    std::memset(raw.get(), 0, sizeof(*raw));
    raw->hdr = {HW_EV_EXEC, sizeof(hw_exec_event), 555};
    raw->proc = sample_process(4242);
    raw->old_pid = 4242;
    std::strcpy(raw->filename, "/usr/bin/sleep");
    raw->filename_len = 14;
    const char args[] = "sleep\0--\0a b\0";
    std::memcpy(raw->args, args, sizeof(args) - 1);
    raw->args_len = sizeof(args) - 1;
    raw->args_truncated = 1;

    auto result = decode_record(bytes_of(*raw));
    ASSERT_TRUE(std::holds_alternative<Event>(result));
    const auto& event = std::get<Event>(result);
    EXPECT_EQ(event.ktime_ns, 555u);
    ASSERT_EQ(event.type(), EventType::Exec);
    const auto& exec = std::get<ExecEvent>(event.body);
    EXPECT_EQ(exec.filename, "/usr/bin/sleep");
    EXPECT_EQ(exec.argv, (std::vector<std::string>{"sleep", "--", "a b"}));
    EXPECT_TRUE(exec.argv_truncated);
    EXPECT_EQ(exec.proc.comm, "0123456789abcdef");  // 16 bytes, no NUL: bounded
    EXPECT_EQ(exec.proc.pid, 4242u);
    EXPECT_EQ(exec.proc.tid, 4243u);
    EXPECT_EQ(exec.proc.tty_dev, (136u << 20) | 3);
    EXPECT_EQ(exec.proc.start_ns, 123456789u);
}

TEST(Decoder, ArgvCutMidStringKeepsThePart) {
    EXPECT_EQ(split_argv(std::string_view("ab\0cd", 5)), (std::vector<std::string>{"ab", "cd"}));
    EXPECT_EQ(split_argv(std::string_view("", 0)), std::vector<std::string>{});
    EXPECT_EQ(split_argv(std::string_view("x\0\0y\0", 5)),
              (std::vector<std::string>{"x", "", "y"}));
}

TEST(Decoder, ExitStatusDecoding) {
    hw_exit_event raw{};
    raw.hdr = {HW_EV_EXIT, sizeof(raw), 1};
    raw.proc = sample_process(7);
    raw.exit_code = 3 << 8;
    auto exit = std::get<ExitEvent>(std::get<Event>(decode_record(bytes_of(raw))).body);
    EXPECT_EQ(exit.exit_code(), 3);
    EXPECT_EQ(exit.term_signal(), 0);

    raw.exit_code = 0x80 | 6;  // SIGABRT with core
    exit = std::get<ExitEvent>(std::get<Event>(decode_record(bytes_of(raw))).body);
    EXPECT_EQ(exit.exit_code(), std::nullopt);
    EXPECT_EQ(exit.term_signal(), 6);
    EXPECT_TRUE(exit.core_dumped());
}

TEST(Decoder, SignalFieldsMapToNames) {
    hw_signal_event raw{};
    raw.hdr = {HW_EV_SIGNAL, sizeof(raw), 1};
    raw.target = sample_process(10);
    raw.sender_pid = 20;
    raw.sig = 1;
    raw.si_code = 0x80;
    raw.origin = HW_ORIGIN_KERNEL;
    raw.result = HW_SIG_IGNORED;
    raw.group = 1;
    std::memcpy(raw.sender_comm, "sshd", 5);
    auto sig = std::get<SignalEvent>(std::get<Event>(decode_record(bytes_of(raw))).body);
    EXPECT_EQ(sig.target.pid, 10u);
    EXPECT_EQ(sig.sender_pid, 20u);
    EXPECT_EQ(sig.sender_comm, "sshd");
    EXPECT_EQ(sig.origin, SignalOrigin::Kernel);
    EXPECT_EQ(sig.result, SignalResult::Ignored);
    EXPECT_TRUE(sig.group);
    raw.result = 99;
    sig = std::get<SignalEvent>(std::get<Event>(decode_record(bytes_of(raw))).body);
    EXPECT_EQ(sig.result, SignalResult::Unknown);
}

TEST(Decoder, BadRecordsAreErrorsNotEvents) {
    hw_fork_event raw{};
    raw.hdr = {HW_EV_FORK, sizeof(raw), 1};
    EXPECT_TRUE(std::holds_alternative<Event>(decode_record(bytes_of(raw))));
    // Too short for a header.
    EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_record(bytes_of(raw, 4))));
    // Too short for its type.
    EXPECT_TRUE(
        std::holds_alternative<DecodeError>(decode_record(bytes_of(raw, sizeof(hw_header) + 8))));
    // Size field disagrees with the type.
    raw.hdr.size = sizeof(raw) + 8;
    EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_record(bytes_of(raw))));
    // Unknown type.
    raw.hdr = {99, sizeof(raw), 1};
    auto result = decode_record(bytes_of(raw));
    ASSERT_TRUE(std::holds_alternative<DecodeError>(result));
    EXPECT_NE(std::get<DecodeError>(result).message.find("unknown record type 99"),
              std::string::npos);
}

TEST(Decoder, ReparentAndSession) {
    hw_reparent_event r{};
    r.hdr = {HW_EV_REPARENT, sizeof(r), 1};
    r.child = sample_process(30);
    r.old_ppid = 29;
    r.new_ppid = 1;
    r.reaper = HW_REAPER_SUBREAPER;
    auto rep = std::get<ReparentEvent>(std::get<Event>(decode_record(bytes_of(r))).body);
    EXPECT_EQ(rep.child.pid, 30u);
    EXPECT_EQ(rep.old_ppid, 29u);
    EXPECT_EQ(rep.new_ppid, 1u);
    EXPECT_EQ(rep.reaper, ReaperKind::Subreaper);

    hw_session_event s{};
    s.hdr = {HW_EV_SESSION, sizeof(s), 1};
    s.proc = sample_process(40);
    s.call = HW_CALL_SETPGID;
    s.ret = -1;
    s.arg_pid = 41;
    s.arg_pgid = 40;
    auto ses = std::get<SessionEvent>(std::get<Event>(decode_record(bytes_of(s))).body);
    EXPECT_EQ(ses.call, SessionCall::Setpgid);
    EXPECT_EQ(ses.ret, -1);
    EXPECT_EQ(ses.arg_pid, 41u);
    EXPECT_EQ(ses.arg_pgid, 40u);
}

}  // namespace
}  // namespace hupwatch
