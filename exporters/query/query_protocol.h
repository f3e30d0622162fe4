// The query socket's protocol (docs/cli.md, "Answers for ordinary users"):
// what `hupwatch why`, `replay` and `tree` send to `hupwatch run` when they
// cannot open the database themselves, and the answer they get back.
//
//   request: one JSON line, {"command":"why","args":["4242","--json"]}
//   answer:  one JSON line, {"exit":0,"stdout":N,"stderr":M}, then N bytes
//            of the command's stdout and M bytes of its stderr.
//
// Both sides are bounded: a request is at most kMaxRequestBytes, with at
// most kMaxArgs arguments; an answer's header at most kMaxHeaderBytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hupwatch {

inline constexpr const char* kDefaultQuerySocket = "/run/hupwatch/query.sock";
inline constexpr std::size_t kMaxRequestBytes = 4096;
inline constexpr std::size_t kMaxArgs = 32;
inline constexpr std::size_t kMaxHeaderBytes = 256;

struct QueryRequest {
    std::string command;  // why, replay, tree
    std::vector<std::string> args;
};

struct QueryAnswer {
    int exit_code = 0;
    std::string out;
    std::string err;
};

// The request line, newline included.
std::string encode_request(const QueryRequest& request);
// `line` without its newline. nullopt with a one-line error for anything but
// an object with a string "command" and an array "args" of strings within the
// bounds. Never throws.
std::optional<QueryRequest> decode_request(std::string_view line, std::string& error);

// The answer's header line and both texts.
std::string encode_answer(const QueryAnswer& answer);
// The sizes a header line (without its newline) announces.
struct AnswerHeader {
    int exit_code = 0;
    std::size_t out_bytes = 0;
    std::size_t err_bytes = 0;
};
std::optional<AnswerHeader> decode_answer_header(std::string_view line, std::string& error);

// An answer that is only an error line on stderr.
QueryAnswer error_answer(int exit_code, std::string line);

}  // namespace hupwatch
