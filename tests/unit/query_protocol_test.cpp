// The query socket's protocol (exporters/query/query_protocol.h): what the
// CLI sends decodes to what it meant; anything else is a one-line error.
#include "query_protocol.h"

#include <gtest/gtest.h>

namespace hupwatch::test {
namespace {

TEST(QueryProtocol, RequestRoundTrips) {
    QueryRequest request{"why", {"4242", "--json", "--at", "-15m"}};
    std::string line = encode_request(request);
    ASSERT_EQ(line.back(), '\n');
    line.pop_back();
    std::string error;
    auto decoded = decode_request(line, error);
    ASSERT_TRUE(decoded) << error;
    EXPECT_EQ(decoded->command, "why");
    EXPECT_EQ(decoded->args, request.args);
}

TEST(QueryProtocol, BadRequestsAreOneLineErrors) {
    for (std::string_view bad :
         {"", "not json", "[]", "{}", R"({"command":1,"args":[]})", R"({"command":"why"})",
          R"({"command":"why","args":[1]})", R"({"command":"why","args":"x"})"}) {
        std::string error;
        EXPECT_FALSE(decode_request(bad, error)) << bad;
        EXPECT_FALSE(error.empty());
        EXPECT_EQ(error.find('\n'), std::string::npos);
    }
    std::string error;
    QueryRequest many{"replay", std::vector<std::string>(kMaxArgs + 1, "-x")};
    std::string line = encode_request(many);
    EXPECT_FALSE(decode_request(line.substr(0, line.size() - 1), error));
    EXPECT_EQ(error, "more than 32 arguments");
    EXPECT_FALSE(decode_request(std::string(kMaxRequestBytes + 1, ' '), error));
    EXPECT_EQ(error, "request longer than 4096 bytes");
}

TEST(QueryProtocol, AnswerHeaderAnnouncesBothTexts) {
    QueryAnswer answer{1, "out\n", "hupwatch: no process with pid 7\n"};
    std::string wire = encode_answer(answer);
    auto nl = wire.find('\n');
    std::string error;
    auto header = decode_answer_header(std::string_view(wire).substr(0, nl), error);
    ASSERT_TRUE(header) << error;
    EXPECT_EQ(header->exit_code, 1);
    EXPECT_EQ(wire.substr(nl + 1, header->out_bytes), answer.out);
    EXPECT_EQ(wire.substr(nl + 1 + header->out_bytes), answer.err);
    for (std::string_view bad : {R"({"exit":-1,"stdout":0,"stderr":0})",
                                 R"({"exit":0,"stdout":-5,"stderr":0})", R"({"exit":0})", "x"})
        EXPECT_FALSE(decode_answer_header(bad, error)) << bad;
}

}  // namespace
}  // namespace hupwatch::test
