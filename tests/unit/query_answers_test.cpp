// What the query socket answers an ordinary user (docs/cli.md, "Answers for
// ordinary users"): their own processes, and of another user's process that
// killed one of theirs its pid, comm and user, never its command line
// (issue 13). Run through answer_query, as the daemon runs it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "host_probe.h"
#include "query_dispatch.h"
#include "sqlite_store.h"
#include "store_fixture.h"

namespace hupwatch::test {
namespace {

constexpr std::uint32_t kAlice = 1000;
constexpr const char* kSecret = "rootPRIVATEarg2";

// alice's `sleep 600` (pid 4242) killed with SIGTERM by `bash -c 'kill ...'`
// (pid 334) run by `killer_user`.
std::string store_with_a_kill(const std::string& killer_user, std::uint32_t killer_uid) {
    auto path = temp_db("query-answers.db");
    StoreOptions o;
    o.path = path;
    o.version = "test";
    std::string error;
    auto store = SqliteStore::open(o, error, BootClock(kOffset));
    EXPECT_TRUE(store) << error;
    std::vector<ProcSnapshot> seed(1);
    seed[0].info = proc(700, 1, 1, 700, "bash", kAlice);
    seed[0].info.loginuid = kAlice;
    store->record_seed(seed);
    auto job = proc(4242, 10, 700, 700, "sleep", kAlice);
    job.loginuid = kAlice;
    auto killer = proc(334, 19, 1, 334, "bash", killer_uid);
    const std::vector<std::string> killer_argv = {
        "bash", "-c", std::string("kill -TERM 4242; : ") + kSecret + " --password=zz"};
    store->on_event(fork_of(job, 1));
    store->on_event(exec_of(job, 10, {"sleep", "600"}));
    store->on_event(exec_of(killer, 19, killer_argv));
    store->on_event(exit_of(job, 30, 15));

    Verdict v;
    v.kind = VerdictKind::Killed;
    v.ktime_ns = 30 * kSec;
    v.process = {4242, 10 * kSec, "sleep"};
    v.argv = {"sleep", "600"};
    v.ppid = 700;
    v.uid = kAlice;
    v.user = user_name_of(kAlice);
    v.sid = 700;
    v.run_time_ns = 20 * kSec;
    v.signal = 15;
    v.evidence = {{30 * kSec, "signal", "SIGTERM to sleep 4242 from bash 334 (user)"},
                  {30 * kSec, "exit", "sleep 4242 killed by SIGTERM"}};
    KillDetails k;
    k.cause = KillCause::Operator;
    Killer who;
    who.process = {334, 19 * kSec, "bash"};
    who.argv = killer_argv;
    who.uid = killer_uid;
    who.user = killer_user;
    k.killer = who;
    v.kill = k;
    store->on_finding(Finding{v});
    store->flush();
    return path;
}

QueryAnswer ask(const std::string& path, std::uint32_t uid, std::vector<std::string> args) {
    QueryRequest request;
    request.command = args.front();
    request.args.assign(args.begin() + 1, args.end());
    QueryCaller caller;
    caller.uid = uid;
    return answer_query(request, caller, path);
}

TEST(QueryAnswers, AnotherUsersKillerIsNamedButItsCommandLineWithheld) {
    const auto path = store_with_a_kill("root", 0);
    auto text = ask(path, kAlice, {"why", "4242"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_EQ(text.out.find(kSecret), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("killed by SIGTERM from `bash` (pid 334) run by root"),
              std::string::npos)
        << text.out;

    auto json = ask(path, kAlice, {"why", "4242", "--json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(json.out.find(kSecret), std::string::npos) << json.out;
    auto j = nlohmann::json::parse(json.out);
    ASSERT_EQ(j["verdicts"].size(), 1u);
    const auto& verdict = j["verdicts"][0];
    EXPECT_EQ(verdict["killer_argv"], nlohmann::json::array());
    EXPECT_EQ(verdict["killer_pid"], 334);
    EXPECT_EQ(verdict["killer_comm"], "bash");
    EXPECT_EQ(verdict["killer_user"], "root");
    EXPECT_EQ(verdict["summary"], "killed by SIGTERM from `bash` (pid 334) run by root");
    EXPECT_EQ(verdict["argv"], (nlohmann::json{"sleep", "600"})) << "the caller's own argv stays";

    for (auto args : {std::vector<std::string>{"replay"},
                      {"replay", "--json"},
                      {"replay", "--pid", "4242", "--json"},
                      {"tree", "--at", "1795870825"}}) {
        auto answer = ask(path, kAlice, args);
        EXPECT_EQ(answer.out.find(kSecret), std::string::npos) << args.back() << ": " << answer.out;
        EXPECT_EQ(answer.err.find(kSecret), std::string::npos) << answer.err;
    }
}

TEST(QueryAnswers, RootSeesTheKillersCommandLine) {
    const auto path = store_with_a_kill("root", 0);
    auto json = ask(path, 0, {"why", "4242", "--json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    auto verdict = nlohmann::json::parse(json.out)["verdicts"].at(0);
    EXPECT_EQ(verdict["killer_argv"].at(2),
              std::string("kill -TERM 4242; : ") + kSecret + " --password=zz");
}

TEST(QueryAnswers, TheCallersOwnKillKeepsItsCommandLine) {
    const auto path = store_with_a_kill(user_name_of(kAlice), kAlice);
    auto text = ask(path, kAlice, {"why", "4242"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find(kSecret), std::string::npos) << text.out;
}

}  // namespace
}  // namespace hupwatch::test
