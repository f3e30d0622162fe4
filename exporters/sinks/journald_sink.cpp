#include "journald_sink.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>

#include "finding_format.h"

namespace hupwatch {
namespace {

// syslog priorities: a killed job is a warning, an orphan a notice, the rest
// information.
int priority_of(const Finding& finding) {
    if (const auto* v = std::get_if<Verdict>(&finding)) {
        switch (v->kind) {
            case VerdictKind::KilledByDisconnect:
            case VerdictKind::KilledByLogout:
            case VerdictKind::DiedAfterDisconnect:
            case VerdictKind::Killed:
                return 4;
            case VerdictKind::Orphaned:
                return 5;
            case VerdictKind::Daemonized:
                return 6;
        }
    }
    if (std::holds_alternative<DisconnectFinding>(finding)) return 5;
    return 6;
}

std::string field_name(const std::string& key) {
    std::string out = "HUPWATCH_";
    for (char c : key) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> JournaldSink::fields(
    const Finding& finding) const {
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back("MESSAGE", to_text_line(finding, clock_));
    out.emplace_back("PRIORITY", std::to_string(priority_of(finding)));
    out.emplace_back("SYSLOG_IDENTIFIER", "hupwatch");
    auto json = to_json(finding, clock_);
    auto text_of = [&json](const char* key) {
        auto it = json.find(key);
        return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    out.emplace_back("MESSAGE_ID", journald_message_id(text_of("event"), text_of("verdict")));
    json["host"] = identity_.host;
    json["boot_id"] = identity_.boot_id;
    json["seq"] = seq_.peek();
    for (auto it = json.begin(); it != json.end(); ++it) {
        const auto& value = it.value();
        std::string text;
        if (value.is_null()) continue;  // absent rather than "null": journal fields are optional
        if (value.is_string())
            text = value.get<std::string>();
        else
            text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        out.emplace_back(field_name(it.key()), std::move(text));
    }
    return out;
}

std::string JournaldSink::unavailable() const {
    struct stat st {};
    if (stat(socket_path_.c_str(), &st) != 0) return strerror(errno);
    if (!S_ISSOCK(st.st_mode)) return "not a socket";
    return "";
}

bool JournaldSink::check(std::string& warning) {
    std::string why = unavailable();
    if (why.empty()) return true;
    warning = fmt::format(
        "hupwatch: --events.journald: no journald socket at {} ({}); findings for the journal "
        "are lost and counted in hupwatch_journald_errors_total",
        socket_path_, why);
    warned_ = true;
    return false;
}

void JournaldSink::on_finding(const Finding& finding) {
    // Without the socket, libsystemd drops the entry and reports success:
    // look first (findings are few; a stat each is cheap), so the loss is
    // counted. journald may come up later: then it gets them again.
    auto items = fields(finding);
    seq_.next();  // every entry tried takes a seq: a lost one is a gap
    if (std::string why = unavailable(); !why.empty()) {
        if (errors_++ == 0 && !warned_)
            spdlog::error("journald cannot take findings: {}: {}", socket_path_, why);
        return;
    }
    std::vector<std::string> storage;
    storage.reserve(items.size());
    std::vector<iovec> iov;
    iov.reserve(items.size());
    for (const auto& [key, value] : items) {
        // The native protocol carries any bytes, newlines included.
        storage.push_back(key + "=" + value);
        iov.push_back({storage.back().data(), storage.back().size()});
    }
    int rc = sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
    if (rc < 0) {
        if (errors_++ == 0 && !warned_)
            spdlog::error("sending to journald failed: {}", strerror(-rc));
        return;
    }
    ++sent_;
}

}  // namespace hupwatch
