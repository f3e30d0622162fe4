#include "query_protocol.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace hupwatch {
namespace {

using Json = nlohmann::json;

std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string encode_request(const QueryRequest& request) {
    Json j = {{"command", request.command}, {"args", request.args}};
    return dump(j) + "\n";
}

std::optional<QueryRequest> decode_request(std::string_view line, std::string& error) {
    if (line.size() > kMaxRequestBytes) {
        error = fmt::format("request longer than {} bytes", kMaxRequestBytes);
        return std::nullopt;
    }
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        error = "request is not a JSON object";
        return std::nullopt;
    }
    auto command = j.find("command");
    auto args = j.find("args");
    if (command == j.end() || !command->is_string() || args == j.end() || !args->is_array()) {
        error = "request needs a string \"command\" and an array \"args\"";
        return std::nullopt;
    }
    if (args->size() > kMaxArgs) {
        error = fmt::format("more than {} arguments", kMaxArgs);
        return std::nullopt;
    }
    QueryRequest request;
    request.command = command->get<std::string>();
    for (const auto& a : *args) {
        if (!a.is_string()) {
            error = "every argument must be a string";
            return std::nullopt;
        }
        request.args.push_back(a.get<std::string>());
    }
    return request;
}

std::string encode_answer(const QueryAnswer& answer) {
    Json j = {
        {"exit", answer.exit_code}, {"stdout", answer.out.size()}, {"stderr", answer.err.size()}};
    return dump(j) + "\n" + answer.out + answer.err;
}

std::optional<AnswerHeader> decode_answer_header(std::string_view line, std::string& error) {
    Json j = line.size() > kMaxHeaderBytes ? Json(nullptr) : Json::parse(line, nullptr, false);
    auto field = [&](const char* key) -> const Json* {
        auto it = j.is_object() ? j.find(key) : j.end();
        return it != j.end() && it->is_number_integer() ? &*it : nullptr;
    };
    const Json* exit = field("exit");
    const Json* out = field("stdout");
    const Json* err = field("stderr");
    if (!exit || !out || !err || *out < 0 || *err < 0 || *exit < 0 || *exit > 255) {
        error = "the daemon's answer is not a hupwatch answer";
        return std::nullopt;
    }
    return AnswerHeader{exit->get<int>(), out->get<std::size_t>(), err->get<std::size_t>()};
}

QueryAnswer error_answer(int exit_code, std::string line) {
    return QueryAnswer{exit_code, "", std::move(line) + "\n"};
}

}  // namespace hupwatch
