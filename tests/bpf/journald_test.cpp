// The journald sink end to end. Where journald runs, the entry is read back
// through the journal API. Where it does not (these machines have no systemd
// as PID 1), a socket at journald's address receives the datagram and the
// native protocol is parsed, so the fields are still checked for real.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "event_capture.h"
#include "journald_sink.h"
#include "skip_or_fail.h"

namespace hupwatch::test {
namespace {

constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

Verdict sample_verdict(std::uint64_t unique) {
    Verdict v;
    v.kind = VerdictKind::Orphaned;
    v.process = {4242, unique, "nohup-job"};
    v.argv = {"sleep", "line\nbreak"};
    v.user = "root";
    v.cause = OrphanCause::Disconnect;
    v.survived_because = SurvivalReason::SighupIgnored;
    return v;
}

// Parses journald's native protocol: KEY=value\n, or KEY\n + le64 size +
// bytes + \n for values holding a newline.
std::map<std::string, std::string> parse_native(const std::string& d) {
    std::map<std::string, std::string> out;
    std::size_t i = 0;
    while (i < d.size()) {
        auto nl = d.find('\n', i);
        auto eq = d.find('=', i);
        if (eq != std::string::npos && (nl == std::string::npos || eq < nl)) {
            out[d.substr(i, eq - i)] = d.substr(eq + 1, nl - eq - 1);
            i = nl + 1;
        } else {
            std::string key = d.substr(i, nl - i);
            std::uint64_t size = 0;
            memcpy(&size, d.data() + nl + 1, 8);
            out[key] = d.substr(nl + 9, size);
            i = nl + 9 + size + 1;
        }
    }
    return out;
}

TEST(Journald, FindingFieldsReachTheJournal) {
    const std::uint64_t unique =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    JournaldSink sink;
    struct stat st {};
    bool real_journald = stat(kJournalSocket, &st) == 0 && S_ISSOCK(st.st_mode);

    if (real_journald) {
        sink.on_finding(sample_verdict(unique));
        ASSERT_EQ(sink.errors(), 0u);
        sd_journal* journal = nullptr;
        ASSERT_GE(sd_journal_open(&journal, SD_JOURNAL_LOCAL_ONLY), 0);
        std::string match = "HUPWATCH_START_NS=" + std::to_string(unique);
        sd_journal_add_match(journal, match.data(), match.size());
        bool found = false;
        for (int i = 0; i < 100 && !found; ++i) {
            sd_journal_seek_head(journal);
            found = sd_journal_next(journal) > 0;
            if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ASSERT_TRUE(found) << "entry never showed in the journal";
        const void* data = nullptr;
        size_t length = 0;
        ASSERT_GE(sd_journal_get_data(journal, "HUPWATCH_VERDICT", &data, &length), 0);
        EXPECT_EQ(std::string(static_cast<const char*>(data), length), "HUPWATCH_VERDICT=orphaned");
        sd_journal_close(journal);
        return;
    }
    if (geteuid() != 0)
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI(
            "no journald here and not root to stand in for it: fields are covered by unit tests "
            "only");
    std::filesystem::create_directories("/run/systemd/journal");
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, kJournalSocket, sizeof(addr.sun_path) - 1);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
    struct Cleanup {
        int fd;
        ~Cleanup() {
            close(fd);
            unlink(kJournalSocket);
        }
    } cleanup{fd};
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    sink.on_finding(sample_verdict(unique));
    EXPECT_EQ(sink.errors(), 0u);
    EXPECT_EQ(sink.sent(), 1u);
    std::string datagram(1 << 16, '\0');
    ssize_t n = recv(fd, datagram.data(), datagram.size(), 0);
    ASSERT_GT(n, 0) << "nothing arrived at the journal socket";
    datagram.resize(static_cast<std::size_t>(n));
    auto fields = parse_native(datagram);
    EXPECT_EQ(fields["SYSLOG_IDENTIFIER"], "hupwatch");
    EXPECT_EQ(fields["PRIORITY"], "5");
    EXPECT_EQ(fields["HUPWATCH_EVENT"], "verdict");
    EXPECT_EQ(fields["HUPWATCH_VERDICT"], "orphaned");
    EXPECT_EQ(fields["HUPWATCH_PID"], "4242");
    EXPECT_EQ(fields["HUPWATCH_START_NS"], std::to_string(unique));
    EXPECT_EQ(fields["HUPWATCH_SURVIVED_BECAUSE"], "sighup_ignored");
    EXPECT_EQ(fields["HUPWATCH_ARGV"], "[\"sleep\",\"line\\nbreak\"]");
    EXPECT_NE(fields["MESSAGE"].find("orphaned (disconnect, survived: sighup_ignored)"),
              std::string::npos)
        << fields["MESSAGE"];
}

}  // namespace
}  // namespace hupwatch::test
