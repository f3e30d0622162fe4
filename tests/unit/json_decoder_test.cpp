// The one read path: JSON lines decode back into the Event and Finding they
// were encoded from. A property test over generated values with hostile
// strings (random bytes, quotes, control characters) and extreme numbers:
// encode -> decode -> encode gives the same line, and with valid UTF-8 the
// decoded value equals the original.
#include "json_decoder.h"

#include <gtest/gtest.h>

#include <random>

#include "event_json.h"
#include "finding_format.h"

namespace hupwatch {
namespace {

const BootClock kClock(1'795'850'484'000'000'000LL);

class Generator {
   public:
    explicit Generator(std::uint64_t seed, bool valid_utf8) : rng_(seed), valid_utf8_(valid_utf8) {}

    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
    bool coin() { return below(2) == 0; }

    std::uint32_t u32() {
        switch (below(4)) {
            case 0:
                return 0;
            case 1:
                return UINT32_MAX;
            default:
                return static_cast<std::uint32_t>(rng_());
        }
    }
    std::uint64_t u64() {
        switch (below(4)) {
            case 0:
                return 0;
            case 1:
                return UINT64_MAX;
            case 2:
                return static_cast<std::uint64_t>(INT64_MAX);
            default:
                return rng_();
        }
    }
    // Times to the microsecond, the JSON's precision, within RFC 3339's years.
    std::uint64_t time() { return below(1ULL << 56) / 1000 * 1000; }

    std::string text() {
        static const std::vector<std::string> kPieces = {
            "\"", "\\", "\n", "\r", "\t", std::string(1, '\0'), "\x1b[2J", "\x7f",   "\x01",
            "é",  "😀",  "/",  " ",  "a",  "migrate.sh",         "{}",      "\\u0000"};
        std::string out;
        const auto n = below(12);
        for (std::uint64_t i = 0; i < n; ++i) {
            if (!valid_utf8_ && coin())
                out += static_cast<char>(0x80 + below(0x80));  // a stray byte
            else
                out += kPieces[below(kPieces.size())];
        }
        return out;
    }

    std::uint32_t tty() {
        switch (below(7)) {
            case 0:
                return 0;
            case 1:
                return (136u << 20) | static_cast<std::uint32_t>(below(1u << 20));  // pts/N
            case 2:
                return (4u << 20) | static_cast<std::uint32_t>(below(1u << 20));  // ttyN, ttySN
            case 3:
                return (5u << 20) | static_cast<std::uint32_t>(below(5));  // tty, console, ...
            case 4:
                return (166u << 20) | static_cast<std::uint32_t>(below(1000));
            case 5:
                return (188u << 20) | static_cast<std::uint32_t>(below(1000));
            default: {
                // Majors 137..143 name old ptys the kernel no longer makes.
                auto major = static_cast<std::uint32_t>(below(4095)) + 1;
                if (major >= 137 && major <= 143) major = 200;
                return major << 20 | static_cast<std::uint32_t>(below(1u << 20));
            }
        }
    }

    ProcessInfo process() {
        ProcessInfo p;
        p.pid = u32();
        p.tid = u32();
        p.ppid = u32();
        p.pgid = u32();
        p.sid = u32();
        p.uid = u32();
        p.loginuid = u32();
        p.audit_session = u32();
        p.tty_dev = tty();
        p.start_ns = u64();
        p.cgroup_id = u64();
        p.comm = text();
        return p;
    }

    ProcessRef ref() { return {u32(), u64(), text()}; }

    // A wait status as the kernel makes them: an exit code, or a signal
    // with or without a core.
    std::int32_t wait_status(bool with_core) {
        if (coin()) return static_cast<std::int32_t>(below(256) << 8);
        auto sig = static_cast<std::int32_t>(below(64) + 1);
        return sig | (with_core && coin() ? 0x80 : 0);
    }

    Event event() {
        Event e;
        e.ktime_ns = time();
        switch (below(11)) {
            case 0:
                e.body = ForkEvent{process(), u64()};
                break;
            case 1: {
                std::vector<std::string> argv;
                for (auto n = below(5); n > 0; --n) argv.push_back(text());
                e.body = ExecEvent{process(), u32(), text(), argv, coin(), coin()};
                break;
            }
            case 2:
                e.body = ExitEvent{process(), wait_status(true), u32(), u32(), u64(), u64()};
                break;
            case 3:
                e.body = SignalEvent{process(),
                                     u32(),
                                     u64(),
                                     text(),
                                     static_cast<int>(below(65)),
                                     static_cast<int>(static_cast<std::int32_t>(u32())),
                                     coin() ? SignalOrigin::User : SignalOrigin::Kernel,
                                     static_cast<SignalResult>(below(6)),
                                     coin()};
                break;
            case 4:
                e.body = ReparentEvent{
                    process(), u32(), u64(),
                    u32(),     u64(), coin() ? ReaperKind::Init : ReaperKind::Subreaper};
                break;
            case 5:
                e.body = SessionEvent{process(), SessionCall::Setsid, syscall_ret(), 0, 0};
                break;
            case 6:
                e.body = SessionEvent{process(), SessionCall::Setpgid, syscall_ret(), u32(), u32()};
                break;
            case 7:
                e.body = OomVictimEvent{process(), u32(), u64(), u64(), text(), coin()};
                break;
            case 8:
                e.body = CgroupMkdirEvent{process(), u64(), text(), coin()};
                break;
            case 9:
                e.body = ExitUnseenEvent{process()};
                break;
            default:
                e.body = OutputLostEvent{process(), u64(), u32()};
        }
        return e;
    }

    // A pid or 0, or -errno.
    std::int64_t syscall_ret() {
        return coin() ? static_cast<std::int64_t>(u32()) : -static_cast<std::int64_t>(below(4096));
    }

    Finding finding() {
        switch (below(3)) {
            case 0:
                return DisconnectFinding{time(), u32(), u32(), tty(), ref(), u32(),
                                         text(), u32(), u32(), u32(), text()};
            case 1:
                return SessionEndFinding{time(), u32(), u32(),  tty(),
                                         ref(),  u32(), text(), wait_status(false)};
            default:
                return verdict();
        }
    }

    Verdict verdict() {
        Verdict v;
        v.kind = static_cast<VerdictKind>(below(5));
        v.ktime_ns = time();
        v.process = ref();
        for (auto n = below(4); n > 0; --n) v.argv.push_back(text());
        v.ppid = u32();
        v.uid = u32();
        v.user = text();
        v.sid = u32();
        v.tty_dev = tty();
        v.run_time_ns = below(1ULL << 50);  // a double by contract: exact up to here
        for (auto n = below(4); n > 0; --n) v.lineage.push_back(ref());
        for (auto n = below(4); n > 0; --n) v.evidence.push_back({time(), text(), text()});
        v.supervision = static_cast<Supervision>(below(4));
        v.sighup = static_cast<SighupDisposition>(below(3));
        v.signal = coin() ? 0 : static_cast<int>(below(64) + 1);
        if (coin()) v.exit_code = static_cast<int>(below(256));
        if (coin()) v.via = ProcessRef{u32(), 0, text()};  // the JSON has no start for via
        v.confidence = coin() ? Confidence::Certain : Confidence::Inferred;
        if (coin()) v.disconnect_ktime_ns = time();
        if (coin()) v.disconnect_sid = u32();
        if (coin()) v.cause = static_cast<OrphanCause>(below(2));
        if (coin()) v.survived_because = static_cast<SurvivalReason>(below(4));
        if (coin()) v.new_parent = ProcessRef{u32(), 0, text()};
        if (coin()) v.reaper = coin() ? ReaperKind::Init : ReaperKind::Subreaper;
        v.output_lost = coin();
        v.eio_writes = u64();
        return v;
    }

   private:
    std::mt19937_64 rng_;
    bool valid_utf8_;
};

template <typename T>
std::optional<T> decode_as(const std::string& line) {
    std::string error;
    auto decoded = decode_json_line(line, kClock, error);
    EXPECT_TRUE(decoded) << error << "\n" << line;
    if (!decoded) return std::nullopt;
    if constexpr (std::is_same_v<T, Event>) {
        const auto* e = std::get_if<Event>(&*decoded);
        EXPECT_TRUE(e) << line;
        return e ? std::optional<T>(*e) : std::nullopt;
    } else {
        const auto* f = std::get_if<Finding>(&*decoded);
        EXPECT_TRUE(f) << line;
        return f ? std::optional<T>(*f) : std::nullopt;
    }
}

void round_trip(std::uint64_t seed, bool valid_utf8) {
    Generator g(seed, valid_utf8);
    for (int i = 0; i < 2000; ++i) {
        const Event event = g.event();
        const std::string line = to_json_line(event, kClock);
        auto back = decode_as<Event>(line);
        ASSERT_TRUE(back) << "event " << i;
        ASSERT_EQ(to_json_line(*back, kClock), line) << "event " << i;
        if (valid_utf8) {
            ASSERT_TRUE(*back == event) << "event " << i << ": " << line;
        }

        const Finding finding = g.finding();
        const std::string fline = to_json_line(finding, kClock);
        auto fback = decode_as<Finding>(fline);
        ASSERT_TRUE(fback) << "finding " << i;
        ASSERT_EQ(to_json_line(*fback, kClock), fline) << "finding " << i;
        if (valid_utf8) {
            ASSERT_TRUE(*fback == finding) << "finding " << i << ": " << fline;
        }
    }
}

TEST(JsonDecoder, RoundTripsHostileValidUtf8Exactly) {
    round_trip(20261130, true);
}

TEST(JsonDecoder, RoundTripsRandomBytesToTheSameLine) {
    round_trip(4242, false);
}

TEST(JsonDecoder, RejectsWhatIsNotAnEventWithOneLine) {
    const std::vector<std::string> bad = {
        "",
        "{",
        "[]",
        "null",
        "\"fork\"",
        R"({"event":"fork"})",
        R"({"event":"hupwatch_start","time":"2026-11-28T08:21:24.000000Z","run":1})",
        R"({"event":"gap","time":"2026-11-28T08:21:24.000000Z"})",
        R"({"event":7})",
        "{\"event\":\"fork\",\"comm\":\"\xff\"}",
    };
    for (const auto& line : bad) {
        std::string error;
        EXPECT_FALSE(decode_json_line(line, kClock, error)) << line;
        EXPECT_FALSE(error.empty()) << line;
        EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    }
}

TEST(JsonDecoder, NamesTheBadKey) {
    Event e;
    e.ktime_ns = 5'000'000;
    e.body = ForkEvent{ProcessInfo{}, 1};
    std::string line = to_json_line(e, kClock);
    std::string error;

    std::string huge_pid = line;
    huge_pid.replace(huge_pid.find("\"pid\":0"), 7, "\"pid\":4294967296");
    EXPECT_FALSE(decode_json_line(huge_pid, kClock, error));
    EXPECT_EQ(error, "key \"pid\": out of range");

    std::string negative = line;
    negative.replace(negative.find("\"uid\":0"), 7, "\"uid\":-1");
    EXPECT_FALSE(decode_json_line(negative, kClock, error));
    EXPECT_EQ(error, "key \"uid\": not an unsigned integer");

    std::string bad_time = line;
    bad_time.replace(bad_time.find("\"time\":\"") + 8, 4, "20x6");
    EXPECT_FALSE(decode_json_line(bad_time, kClock, error));
    EXPECT_EQ(error, "key \"time\": not an RFC 3339 time of this clock");

    Verdict v;
    v.kind = VerdictKind::Orphaned;
    std::string verdict = to_json_line(Finding{v}, kClock);
    verdict.replace(verdict.find("\"supervision\":\"none\""), 20, "\"supervision\":\"nnoe\"");
    EXPECT_FALSE(decode_json_line(verdict, kClock, error));
    EXPECT_EQ(error, "key \"supervision\": unknown value \"nnoe\"");
}

TEST(JsonDecoder, ReadsLinesFromBeforeAKeyWasAdded) {
    // A store written before argv_redacted existed (docs/events.md).
    ExecEvent exec;
    exec.argv = {"sleep", "1"};
    std::string line = to_json_line(Event{1'000, exec}, kClock);
    const std::string added = R"("argv_redacted":false,)";
    ASSERT_NE(line.find(added), std::string::npos) << line;
    line.erase(line.find(added), added.size());
    std::string error;
    auto decoded = decode_json_line(line, kClock, error);
    ASSERT_TRUE(decoded) << error;
    EXPECT_EQ(std::get<ExecEvent>(std::get<Event>(*decoded).body), exec);
}

TEST(JsonDecoder, RandomBytesNeverThrow) {
    std::mt19937_64 rng(99);
    for (int i = 0; i < 5000; ++i) {
        std::string junk(rng() % 64, '\0');
        for (auto& c : junk) c = static_cast<char>(rng());
        if (i % 2) junk = R"({"event":"exit",)" + junk;
        std::string error;
        EXPECT_NO_THROW(decode_json_line(junk, kClock, error));
    }
}

}  // namespace
}  // namespace hupwatch

namespace hupwatch {
namespace {

// json_roundtrip_fuzz: a time after 2262 overflowed the int64 nanoseconds.
TEST(JsonDecoder, TimeBeyondInt64NanosecondsIsAnErrorNotAnOverflow) {
    ExitEvent exit;
    exit.proc.pid = 7;
    std::string line = to_json_line(Event{1'000'000'000, exit}, kClock);
    auto at = line.find("\"time\":\"2026");
    ASSERT_NE(at, std::string::npos) << line;
    line.replace(at + 8, 4, "4052");
    std::string error;
    EXPECT_FALSE(decode_json_line(line, kClock, error));
    EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace hupwatch
