#include "withheld_argv.h"

#include <nlohmann/json.hpp>
#include <variant>

#include "finding_format.h"
#include "json_decoder.h"

namespace hupwatch {
namespace {

using OJson = nlohmann::ordered_json;

bool is_callers(const OJson& j, std::string_view caller) {
    for (const char* key : {"killer_user", "killer_login_user"}) {
        auto it = j.find(key);
        if (it != j.end() && it->is_string() && it->get<std::string>() == caller) return true;
    }
    return false;
}

std::string joined(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& arg : argv) out += (out.empty() ? "" : " ") + arg;
    return out;
}

}  // namespace

std::string withhold_others_argv(std::string json_line, std::string_view caller) {
    OJson j = OJson::parse(json_line, nullptr, false);
    if (!j.is_object() || j.value("event", "") != "verdict") return json_line;
    auto argv = j.find("killer_argv");
    if (argv == j.end() || !argv->is_array() || argv->empty() || is_callers(j, caller))
        return json_line;
    // The summary again from the decoded verdict, so the wording stays
    // kill_sentence's own (the clock is unused by it).
    std::string error;
    auto decoded = decode_json_line(json_line, BootClock(0), error);
    auto* finding = decoded ? std::get_if<Finding>(&*decoded) : nullptr;
    auto* verdict = finding ? std::get_if<Verdict>(finding) : nullptr;
    if (!verdict || !verdict->kill || !verdict->kill->killer) {
        // Undecodable: nothing of the killer but its comm is safe to keep.
        j["killer_argv"] = OJson::array();
        j["summary"] = "";
        j["evidence"] = OJson::array();
        return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    Killer& killer = *verdict->kill->killer;
    const std::string command = joined(killer.argv);
    killer.argv.clear();
    j["killer_argv"] = OJson::array();
    j["summary"] = kill_sentence(*verdict);
    auto evidence = j.find("evidence");
    if (!command.empty() && evidence != j.end() && evidence->is_array()) {
        for (auto& item : *evidence) {
            if (!item.is_object() || !item.contains("detail") || !item["detail"].is_string())
                continue;
            std::string detail = item["detail"].get<std::string>();
            for (std::size_t at = detail.find(command); at != std::string::npos;
                 at = detail.find(command, at + killer.process.comm.size()))
                detail.replace(at, command.size(), killer.process.comm);
            item["detail"] = detail;
        }
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hupwatch
