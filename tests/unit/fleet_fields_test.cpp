// Fleet fields: host, boot_id and seq on every JSON line and journal entry;
// one MESSAGE_ID per finding type, the same in code, catalog and docs.
#include "fleet_fields.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "journald_sink.h"
#include "json_lines_sink.h"
#include "origin_keys.h"

namespace hupwatch {
namespace {

const HostIdentity kHost{"web-1 \"eu\"", "0123456789abcdef0123456789abcdef"};

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string field(const std::vector<std::pair<std::string, std::string>>& fields,
                  const std::string& key) {
    for (const auto& [k, v] : fields)
        if (k == key) return v;
    return "<absent>";
}

TEST(FleetFields, AppendedAsTheLastKeysWithTheHostEscaped) {
    auto line = with_fleet_fields(R"({"event":"fork","pid":7})", kHost, 42);
    EXPECT_EQ(line, R"({"event":"fork","pid":7,"host":"web-1 \"eu\"",)"
                    R"("boot_id":"0123456789abcdef0123456789abcdef","seq":42})");
    EXPECT_EQ(with_fleet_fields("{}", kHost, 1),
              R"({"host":"web-1 \"eu\"","boot_id":"0123456789abcdef0123456789abcdef","seq":1})");
}

TEST(FleetFields, StoredLinesTakeHostAndBootIdFromTheirRun) {
    EXPECT_EQ(boot_id_hex("2556665A-99f0-40ad-91a8-81170d73eccc\n"),
              "2556665a99f040ad91a881170d73eccc");
    EXPECT_EQ(with_origin_keys(R"({"event":"fork","pid":7})", kHost.host, kHost.boot_id),
              R"({"event":"fork","pid":7,"host":"web-1 \"eu\"",)"
              R"("boot_id":"0123456789abcdef0123456789abcdef"})");
    EXPECT_EQ(with_origin_keys("not json", kHost.host, kHost.boot_id), "not json");
}

TEST(FleetFields, ThisHostHasANameAndA32HexBootId) {
    auto id = HostIdentity::of_this_host();
    EXPECT_FALSE(id.host.empty());
    ASSERT_EQ(id.boot_id.size(), 32u);
    EXPECT_EQ(id.boot_id.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(FleetFields, JsonLinesAreNumberedOneByOne) {
    char tmpl[] = "/tmp/hupwatch-fleet-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::string path = dir + "/events.json";
    {
        JsonLinesSink sink({path, 0, 1}, kHost);
        std::string error;
        ASSERT_TRUE(sink.open(error)) << error;
        for (std::uint32_t pid = 100; pid < 105; ++pid) sink.on_event(Event{pid, ExitEvent{}});
        DisconnectFinding d;
        d.sid = 900;
        sink.on_finding(d);
    }
    std::istringstream lines(read_file(path));
    std::uint64_t expected = 1;
    for (std::string line; std::getline(lines, line); ++expected) {
        auto json = nlohmann::json::parse(line);
        EXPECT_EQ(json["seq"], expected) << line;
        EXPECT_EQ(json["host"], kHost.host);
        EXPECT_EQ(json["boot_id"], kHost.boot_id);
    }
    EXPECT_EQ(expected, 7u) << "5 events and 1 finding";
    std::filesystem::remove_all(dir);
}

TEST(FleetFields, JournalEntriesCarryFleetFieldsAndTheirMessageId) {
    JournaldSink sink(kHost);
    Verdict v;
    v.kind = VerdictKind::Orphaned;
    auto first = sink.fields(v);
    EXPECT_EQ(field(first, "MESSAGE_ID"), "ff900c4cd3a6480e930f7844cf279b2e");
    EXPECT_EQ(field(first, "HUPWATCH_HOST"), kHost.host);
    EXPECT_EQ(field(first, "HUPWATCH_BOOT_ID"), kHost.boot_id);
    EXPECT_EQ(field(first, "HUPWATCH_SEQ"), "1");
    sink.on_finding(v);  // sent or not (no journal here), it is numbered
    EXPECT_EQ(field(sink.fields(DisconnectFinding{}), "HUPWATCH_SEQ"), "2");
    EXPECT_EQ(field(sink.fields(DisconnectFinding{}), "MESSAGE_ID"),
              "f362a3ee85eb41ac932518f05e32a873");
    Verdict killed;
    killed.kind = VerdictKind::Killed;
    EXPECT_EQ(field(sink.fields(killed), "MESSAGE_ID"), "d1f383a388e54f0293e45db1e43c810c");
}

TEST(FleetFields, MessageIdsAreDistinctAndInTheCatalogAndTheDocs) {
    const std::string root = HUPWATCH_SOURCE_DIR;
    const std::string catalog = read_file(root + "/deploy/journald/hupwatch.catalog");
    const std::string docs = read_file(root + "/docs/events.md");
    ASSERT_FALSE(catalog.empty());
    std::set<std::string> seen;
    const std::pair<const char*, const char*> kinds[] = {
        {"disconnect", ""},
        {"session_end", ""},
        {"verdict", "killed_by_disconnect"},
        {"verdict", "killed_by_logout"},
        {"verdict", "died_after_disconnect"},
        {"verdict", "orphaned"},
        {"verdict", "daemonized"},
        {"verdict", "killed"},
        {"verdict", "a_kind_from_the_future"},
    };
    for (auto [event, verdict] : kinds) {
        std::string id(journald_message_id(event, verdict));
        ASSERT_EQ(id.size(), 32u) << event << " " << verdict;
        EXPECT_TRUE(seen.insert(id).second) << "duplicate id " << id;
        EXPECT_NE(catalog.find("-- " + id + "\n"), std::string::npos) << id;
        EXPECT_NE(docs.find("`" + id + "`"), std::string::npos) << id;
    }
    // Every catalog entry is one the code sends.
    std::istringstream lines(catalog);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("-- ", 0) == 0) {
            EXPECT_TRUE(seen.count(line.substr(3))) << line;
        }
    }
}

}  // namespace
}  // namespace hupwatch
