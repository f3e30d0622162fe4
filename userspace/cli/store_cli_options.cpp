// The daemon's store flags parsed into the writer's options: the store takes
// options, the command line is the CLI's business.
#include <fmt/format.h>
#include <pwd.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "cli_commands.h"
#include "size_arg.h"
#include "sqlite_store.h"
#include "time_arg.h"
#include "version.h"

namespace hupwatch {

bool store_options_from_cli(const std::string& path, const std::string& retention,
                            const std::string& max_size, StoreOptions& out, std::string& error) {
    auto age = parse_duration(retention);
    if (!age) {
        error = fmt::format("hupwatch: bad --retention '{}' (use e.g. 30d, 12h, 90m; 0: forever)",
                            retention);
        return false;
    }
    auto size = parse_size(max_size);
    if (!size) {
        error =
            fmt::format("hupwatch: bad --db.max-size '{}' (use e.g. 1G; 0: unlimited)", max_size);
        return false;
    }
    if (path.empty()) {
        error = "hupwatch: --db needs a path (or --no-db)";
        return false;
    }
    out.path = path;
    out.retention_ns = *age;
    out.max_size = *size;
    out.version = HUPWATCH_VERSION;
    return true;
}

namespace {
// PID_MAX_LIMIT (include/linux/threads.h): no pid or session id is larger.
constexpr long long kMaxProcessId = 4194304;
}  // namespace

void check_process_id(CLI::Option& option, const std::string& what, long long min) {
    option.check(CLI::Validator(
        [what, min](const std::string& text) -> std::string {
            const bool digits =
                !text.empty() && text.size() <= 18 &&
                std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (digits && std::stoll(text) >= min && std::stoll(text) <= kMaxProcessId) return "";
            return fmt::format("'{}' is not a {}, a number from {} to {}", text, what, min,
                               kMaxProcessId);
        },
        fmt::format("{} from {} to {}", what, min, kMaxProcessId)));
}

void add_store_window_options(CLI::App& cmd, StoreWindowOptions& options,
                              const std::string& pid_help, const std::string& session_help,
                              const std::string& user_help) {
    cmd.add_option("--db", options.db_path, "The event store")->capture_default_str();
    cmd.add_option("--since", options.since, std::string("From this time (") + kTimeForms + ")");
    cmd.add_option("--until", options.until, "Up to this time (same forms)");
    check_process_id(*cmd.add_option("--pid", options.pid, pid_help), "pid", 0);
    check_process_id(*cmd.add_option("--session", options.session, session_help), "session id", 0);
    cmd.add_option("--user", options.user, user_help);
}

std::optional<std::uint32_t> uid_of_user(const std::string& text) {
    if (text.empty()) return std::nullopt;
    if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (text.size() > 10) return std::nullopt;
        const unsigned long long uid = std::stoull(text);
        if (uid > UINT32_MAX) return std::nullopt;
        return static_cast<std::uint32_t>(uid);
    }
    passwd pw{};
    passwd* found = nullptr;
    char buffer[4096];
    if (getpwnam_r(text.c_str(), &pw, buffer, sizeof(buffer), &found) == 0 && found)
        return pw.pw_uid;
    return std::nullopt;
}

}  // namespace hupwatch
