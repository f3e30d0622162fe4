#include "argv_redactor.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace hupwatch {
namespace {

using Argv = std::vector<std::string>;

ArgvRedactor make(RedactionOptions options = {}) {
    std::string error;
    auto redactor = ArgvRedactor::create(options, error);
    EXPECT_TRUE(redactor) << error;
    return std::move(*redactor);
}

Argv redacted(const ArgvRedactor& r, Argv argv, bool expect_changed = true) {
    EXPECT_EQ(r.redact(argv), expect_changed);
    return argv;
}

TEST(ArgvRedactor, FlagWithValueInTheSameArgument) {
    auto r = make();
    EXPECT_EQ(redacted(r, {"mysql", "--password=hunter2", "-h", "db"}),
              (Argv{"mysql", "--password=***", "-h", "db"}));
    EXPECT_EQ(redacted(r, {"x", "--token=abc", "--api-key=k1", "--secret=s", "--passwd=p"}),
              (Argv{"x", "--token=***", "--api-key=***", "--secret=***", "--passwd=***"}));
    EXPECT_EQ(redacted(r, {"x", "--db-password=a=b=c"}), (Argv{"x", "--db-password=***"}));
    EXPECT_EQ(redacted(r, {"x", "--API_KEY=UPPER"}), (Argv{"x", "--API_KEY=***"}));
}

TEST(ArgvRedactor, FlagFollowedByItsValue) {
    auto r = make();
    EXPECT_EQ(redacted(r, {"psql", "--password", "hunter2", "db"}),
              (Argv{"psql", "--password", "***", "db"}));
    EXPECT_EQ(redacted(r, {"cli", "--token", "t0k"}), (Argv{"cli", "--token", "***"}));
    // The flag last: nothing follows, nothing to redact.
    EXPECT_EQ(redacted(r, {"cli", "--token"}, false), (Argv{"cli", "--token"}));
}

TEST(ArgvRedactor, EnvironmentAssignments) {
    auto r = make();
    EXPECT_EQ(redacted(r, {"env", "PGPASSWORD=hunter2", "psql"}),
              (Argv{"env", "PGPASSWORD=***", "psql"}));
    EXPECT_EQ(redacted(r, {"env", "AWS_SECRET_ACCESS_KEY=abc/def", "GITHUB_TOKEN=ghp_x", "aws"}),
              (Argv{"env", "AWS_SECRET_ACCESS_KEY=***", "GITHUB_TOKEN=***", "aws"}));
    EXPECT_EQ(redacted(r, {"env", "PATH=/usr/bin", "LANG=C", "make"}, false),
              (Argv{"env", "PATH=/usr/bin", "LANG=C", "make"}));
}

TEST(ArgvRedactor, PasswordsInUrls) {
    auto r = make();
    EXPECT_EQ(redacted(r, {"git", "clone", "https://alice:s3cr3t@git.example/x.git"}),
              (Argv{"git", "clone", "https://alice:***@git.example/x.git"}));
    EXPECT_EQ(redacted(r, {"psql", "postgres://u:p%40ss@h:5432/db?x=1"}),
              (Argv{"psql", "postgres://u:***@h:5432/db?x=1"}));
    EXPECT_EQ(redacted(r, {"curl", "--url=http://a:b@h/ http://c:d@h/"}),
              (Argv{"curl", "--url=http://a:***@h/ http://c:***@h/"}));
    // A user without a password, a port: nothing secret.
    EXPECT_EQ(redacted(r, {"ssh", "ssh://alice@host:22/"}, false),
              (Argv{"ssh", "ssh://alice@host:22/"}));
}

// QA's shell string: each secret inside it, at a word boundary, to the
// end of its word; the command around it stays readable.
TEST(ArgvRedactor, SecretsInsideAShellString) {
    auto r = make();
    EXPECT_EQ(
        redacted(r, {"bash", "-c",
                     "sleep 602; echo --password=inlineSECRET "
                     "https://bob:inlineURLSECRET@h/ PGPASSWORD=inlinePG"}),
        (Argv{"bash", "-c", "sleep 602; echo --password=*** https://bob:***@h/ PGPASSWORD=***"}));
    EXPECT_EQ(redacted(r, {"sh", "-c", "PAGER=less; x \"--db-token=a;b\" && y"}),
              (Argv{"sh", "-c", "PAGER=less; x \"--db-token=***\" && y"}));
    EXPECT_EQ(redacted(r, {"sh", "-c", "psql --password hunter2 -h db"}),
              (Argv{"sh", "-c", "psql --password *** -h db"}));
}

TEST(ArgvRedactor, SecretParametersInAUrlsQuery) {
    auto r = make();
    EXPECT_EQ(redacted(r, {"curl", "https://h/x?access_token=qsSECRET"}),
              (Argv{"curl", "https://h/x?access_token=***"}));
    EXPECT_EQ(redacted(r, {"curl", "https://h/x?a=1&api_key=k#frag&b=2"}),
              (Argv{"curl", "https://h/x?a=1&api_key=***#frag&b=2"}));
    EXPECT_EQ(redacted(r, {"curl", "https://h/x?page=2&sort=passive"}, false),
              (Argv{"curl", "https://h/x?page=2&sort=passive"}));
}

TEST(ArgvRedactor, MysqlsGluedPassword) {
    auto r = make();
    EXPECT_EQ(redacted(r, {"mysql", "-uroot", "-phunter2mysql", "db"}),
              (Argv{"mysql", "-uroot", "-p***", "db"}));
    EXPECT_EQ(redacted(r, {"/usr/bin/mysqldump", "-pX", "db"}),
              (Argv{"/usr/bin/mysqldump", "-p***", "db"}));
    EXPECT_EQ(redacted(r, {"sudo", "mariadb", "-ps3cret"}), (Argv{"sudo", "mariadb", "-p***"}));
    EXPECT_EQ(redacted(r, {"bash", "-c", "mysql -phunter2 db; mkdir -pv /tmp/x"}),
              (Argv{"bash", "-c", "mysql -p*** db; mkdir -pv /tmp/x"}));
    // -p is another flag elsewhere: a port, parents, preserve.
    for (Argv argv :
         {Argv{"ssh", "-p22", "h"}, Argv{"mkdir", "-pv", "/tmp/x"}, Argv{"mysql", "-p", "db"}}) {
        Argv before = argv;
        EXPECT_FALSE(r.redact(argv)) << argv[1];
        EXPECT_EQ(argv, before);
    }
}

TEST(ArgvRedactor, CredentialsInHeaders) {
    auto r = make();
    EXPECT_EQ(redacted(r, {"curl", "-H", "Authorization: Bearer bearerSECRET", "https://h/"}),
              (Argv{"curl", "-H", "Authorization: Bearer ***", "https://h/"}));
    EXPECT_EQ(redacted(r, {"curl", "-H", "authorization: Basic dXNlcjpw"}),
              (Argv{"curl", "-H", "authorization: Basic ***"}));
    EXPECT_EQ(redacted(r, {"curl", "-H", "Authorization: rawSECRET"}),
              (Argv{"curl", "-H", "Authorization: ***"}));
    EXPECT_EQ(redacted(r, {"curl", "-H", "X-Api-Key: k1", "-H", "X-Auth-Token:t1"}),
              (Argv{"curl", "-H", "X-Api-Key: ***", "-H", "X-Auth-Token:***"}));
    EXPECT_EQ(redacted(r, {"sh", "-c", "curl -H 'Authorization: Bearer b1' https://h/"}),
              (Argv{"sh", "-c", "curl -H 'Authorization: Bearer ***' https://h/"}));
    EXPECT_EQ(redacted(r, {"curl", "-H", "Accept: text/html"}, false),
              (Argv{"curl", "-H", "Accept: text/html"}));
}

// QA: a pad argument, then a URL cut at --argv-max before its '@': the
// password's start was stored as it was.
TEST(ArgvRedactor, AUrlCutBeforeItsAtMayHoldAPassword) {
    auto r = make();
    const Argv cut{"curl", std::string(4000, 'p'), "https://u:cutURLsecret"};
    auto out = r.redacted(cut, true);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->back(), "https://u:***");
    auto in_shell = r.redacted({"bash", "-c", "x; curl https://u:cutURLsec"}, true);
    ASSERT_TRUE(in_shell);
    EXPECT_EQ(in_shell->back(), "x; curl https://u:***");
    // Whole command lines, or a cut URL past its userinfo: nothing guessed.
    EXPECT_FALSE(r.redacted(cut, false));
    EXPECT_FALSE(r.redacted({"curl", "https://host:8443/x"}, false));
    EXPECT_FALSE(r.redacted({"curl", "https://u@host:8443/pa"}, true));
    EXPECT_FALSE(r.redacted({"curl", "https://host/a:b"}, true));
    // Only the last argument was cut.
    EXPECT_FALSE(r.redacted({"curl", "https://host:8443", "-v"}, true));
    EXPECT_FALSE(make({false, {}}).redacted(cut, true));
}

TEST(ArgvRedactor, LeavesOrdinaryCommandLinesAlone) {
    auto r = make();
    for (Argv argv : {Argv{"sleep", "100"}, Argv{"./migrate.sh", "--passive=1", "--keyfile=/k"},
                      Argv{"ls", "--password"}, Argv{"x", "--password="},
                      Argv{"tar", "czf", "backup.tgz", "/home"}, Argv{"--password=x"},
                      Argv{"bash", "-c", "sleep 1; echo done --passive=1 >log 2>&1 &"},
                      Argv{"grep", "-r", "password", "."}}) {
        Argv before = argv;
        EXPECT_FALSE(r.redact(argv));
        EXPECT_EQ(argv, before);
    }
}

TEST(ArgvRedactor, ExtraRulesAndNoDefaults) {
    auto both = make({true, {"^--pin=(\\d+)$", "corp-[a-z]+"}});
    EXPECT_EQ(redacted(both, {"x", "--pin=1234", "name=corp-xyz", "--token=t"}),
              (Argv{"x", "--pin=***", "name=***", "--token=***"}));
    auto only_extra = make({false, {"^--pin=(\\d+)$"}});
    EXPECT_EQ(redacted(only_extra, {"x", "--pin=1234", "--token=t"}),
              (Argv{"x", "--pin=***", "--token=t"}));
    auto none = make({false, {}});
    Argv argv{"x", "--password=p"};
    EXPECT_FALSE(none.redact(argv));
}

TEST(ArgvRedactor, BadRegexIsOneLineError) {
    std::string error;
    EXPECT_FALSE(ArgvRedactor::create({true, {"(unclosed"}}, error));
    EXPECT_NE(error.find("bad --redact regex '(unclosed'"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(ArgvRedactor, EmptyMatchesDoNotLoop) {
    auto r = make({false, {"x*"}});
    Argv argv{"prog", "abc", "xx"};
    EXPECT_TRUE(r.redact(argv));
    EXPECT_EQ(argv, (Argv{"prog", "abc", "***"}));
}

// Hostile argv: random bytes, NULs, huge arguments, secrets in every spot.
// The redactor must neither crash nor leave the secret behind.
TEST(ArgvRedactor, HostileArgvNeverLeaksTheSecret) {
    auto r = make();
    std::mt19937 rng(12345);
    const std::string secret = "Sup3rS3cret";
    const std::vector<std::string> shapes = {"--password=",
                                             "PGPASSWORD=",
                                             "https://u:",
                                             "sleep 1; echo --password=",
                                             "x; PGPASSWORD=",
                                             "Authorization: Bearer ",
                                             "https://h/x?access_token="};
    for (int round = 0; round < 2000; ++round) {
        Argv argv{"prog"};
        int n = static_cast<int>(rng() % 6);
        for (int i = 0; i < n; ++i) {
            std::string junk(rng() % 40, '\0');
            for (auto& c : junk) c = static_cast<char>(rng() % 256);
            argv.push_back(junk);
        }
        const auto& shape = shapes[rng() % shapes.size()];
        std::string arg = shape + secret + (shape == "https://u:" ? "@h/" : "");
        argv.insert(argv.begin() + 1 + static_cast<long>(rng() % argv.size()), arg);
        r.redact(argv);
        for (const auto& a : argv) EXPECT_EQ(a.find(secret), std::string::npos) << a;
    }
    Argv huge{"prog", "--password=" + std::string(1 << 20, 'a') + secret,
              "https://u:" + std::string(1 << 20, 'b') + secret + "@h/"};
    r.redact(huge);
    EXPECT_EQ(huge, (Argv{"prog", "--password=***", "https://u:***@h/"}));
    // A --redact regex over a long argument: redacted whole, not matched.
    auto extra = make({true, {"s(e)cret"}});
    Argv long_arg{"prog", std::string(1 << 20, 'c') + "secret"};
    EXPECT_TRUE(extra.redact(long_arg));
    EXPECT_EQ(long_arg, (Argv{"prog", "***"}));
}

}  // namespace
}  // namespace hupwatch
