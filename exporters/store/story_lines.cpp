#include "story_lines.h"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "boot_clock.h"
#include "event_text.h"
#include "finding_format.h"

namespace hupwatch {
namespace {

using Json = nlohmann::json;

std::string str(const Json& j, const char* key, const std::string& fallback = "") {
    if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    return fallback;
}
std::int64_t num(const Json& j, const char* key, std::int64_t fallback = 0) {
    if (j.is_object() && j.contains(key) && j[key].is_number()) return j[key].get<std::int64_t>();
    return fallback;
}
bool has(const Json& j, const char* key) {
    return j.is_object() && j.contains(key) && !j[key].is_null();
}

std::string who(const std::string& comm, std::int64_t pid) {
    return fmt::format("{} {}", escape_for_terminal(comm), pid);
}

std::string tty_phrase(const Json& j) {
    return has(j, "tty") ? fmt::format(" on {}", str(j, "tty")) : "";
}

std::uint64_t run_time(const StoredEvent& e) {
    return e.ktime_ns > e.start_ns ? e.ktime_ns - e.start_ns : 0;
}

std::string argv_text(const Json& j) {
    std::string out;
    if (!has(j, "argv") || !j["argv"].is_array()) return out;
    for (const auto& a : j["argv"]) {
        if (!a.is_string()) continue;
        if (!out.empty()) out += ' ';
        out += escape_for_terminal(a.get<std::string>());
    }
    return out;
}

}  // namespace

std::string local_stamp(std::int64_t wall_ns, std::int64_t now_wall_ns) {
    auto split = [](std::int64_t ns) {
        std::time_t s = static_cast<std::time_t>(ns / 1'000'000'000);
        std::tm tm{};
        localtime_r(&s, &tm);
        return tm;
    };
    std::tm at = split(wall_ns);
    std::tm now = split(now_wall_ns);
    if (at.tm_year == now.tm_year && at.tm_yday == now.tm_yday)
        return fmt::format("{:02}:{:02}:{:02}", at.tm_hour, at.tm_min, at.tm_sec);
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", at.tm_year + 1900, at.tm_mon + 1,
                       at.tm_mday, at.tm_hour, at.tm_min, at.tm_sec);
}

std::string local_stamp_ms(std::int64_t wall_ns, std::int64_t now_wall_ns) {
    std::int64_t ms = wall_ns / 1'000'000 % 1000;
    if (ms < 0) ms += 1000;
    return fmt::format("{}.{:03}", local_stamp(wall_ns, now_wall_ns), ms);
}

std::string rfc3339_wall(std::int64_t wall_ns) {
    return BootClock(0).rfc3339(static_cast<std::uint64_t>(wall_ns));
}

std::string event_sentence(const StoredEvent& e) {
    Json j = Json::parse(e.json, nullptr, false);
    const std::string subject = who(e.comm, e.pid);
    if (e.type == "fork")
        return fmt::format("{} {} started {}", escape_for_terminal(e.comm), e.ppid, subject);
    if (e.type == "exec") return fmt::format("{} ran {}", subject, argv_text(j));
    if (e.type == "exit") {
        if (has(j, "signal"))
            return fmt::format("{} killed by {}{} after {}", subject, str(j, "signal"),
                               j.value("core_dumped", false) ? " (core dumped)" : "",
                               human_duration(run_time(e)));
        return fmt::format("{} exited with status {} after {}", subject, num(j, "exit_code"),
                           human_duration(run_time(e)));
    }
    if (e.type == "signal") {
        std::string sig = str(j, "signal", "a signal");
        std::string result = str(j, "result", "delivered");
        std::string tail = result == "delivered" ? "" : fmt::format(" ({})", result);
        std::string sender = who(str(j, "sender_comm"), num(j, "sender_pid"));
        if (str(j, "origin") == "kernel")
            return fmt::format("the kernel sent {} to {} on behalf of {}{}", sig, subject, sender,
                               tail);
        // A shell passing its own hangup on to its jobs: the sender leads the
        // target's session.
        bool forwarded = sig == "SIGHUP" && e.sid != 0 &&
                         static_cast<std::uint32_t>(num(j, "sender_pid")) == e.sid &&
                         e.pid != e.sid;
        return fmt::format("{} {} {} to {}{}", sender, forwarded ? "forwarded" : "sent", sig,
                           subject, tail);
    }
    if (e.type == "reparent")
        return fmt::format("{} lost its parent {}; now a child of {} ({})", subject,
                           num(j, "old_ppid"), num(j, "new_ppid"), str(j, "reaper", "init"));
    if (e.type == "setsid") {
        if (num(j, "ret") < 0) return fmt::format("{} tried setsid: {}", subject, str(j, "error"));
        return fmt::format("{} started its own session {}", subject, num(j, "ret"));
    }
    if (e.type == "setpgid")
        return fmt::format("{} setpgid({}, {}){}", subject, num(j, "target_pid"),
                           num(j, "target_pgid"),
                           has(j, "error") ? " failed " + str(j, "error") : "");
    if (e.type == "output_lost")
        return fmt::format("{} lost output: {} writes to its hung-up terminal failed (fd {})",
                           subject, num(j, "eio_writes"), num(j, "fd"));
    return fmt::format("{} {}", e.type, subject);
}

std::string finding_sentence(const StoredFinding& f) {
    Json j = Json::parse(f.json, nullptr, false);
    const std::string subject = who(str(j, "comm"), f.pid);
    const std::string user = escape_for_terminal(str(j, "user", std::to_string(f.uid)));
    if (f.kind == "disconnect") {
        std::string by = str(j, "hung_up_by_comm");
        bool ssh = by.rfind("sshd", 0) == 0;
        return fmt::format("{}session {} of {}{} hung up ({}); leader {}", ssh ? "ssh " : "", f.sid,
                           user, tty_phrase(j), who(by, num(j, "hung_up_by_pid")), subject);
    }
    if (f.kind == "session_end")
        return fmt::format("session {} of {}{} ended (logout by {})", f.sid, user, tty_phrase(j),
                           subject);
    const std::string run =
        human_duration(static_cast<std::uint64_t>(j.value("run_time_seconds", 0.0) * 1e9));
    if (f.verdict == "killed_by_disconnect" || f.verdict == "killed_by_logout") {
        std::string via =
            has(j, "via_pid")
                ? fmt::format(", forwarded by {}", who(str(j, "via_comm"), num(j, "via_pid")))
                : "";
        return fmt::format("{} killed by {} after {} ({} of session {}{})", subject,
                           str(j, "signal", "SIGHUP"), run,
                           f.verdict == "killed_by_logout" ? "logout" : "disconnect", f.sid, via);
    }
    if (f.verdict == "killed")
        return fmt::format("{} {} after {} (cause {})", subject,
                           escape_for_terminal(str(j, "summary", "killed")), run, str(j, "cause"));
    if (f.verdict == "died_after_disconnect")
        return fmt::format(
            "{} died ({}) after {}, within 10 s of its session's disconnect (inferred)", subject,
            has(j, "signal") ? str(j, "signal") : fmt::format("status {}", num(j, "exit_code")),
            run);
    std::string parent = has(j, "new_parent_pid")
                             ? fmt::format(", now under {} ({})",
                                           who(str(j, "new_parent_comm"), num(j, "new_parent_pid")),
                                           str(j, "reaper", "init"))
                             : "";
    if (f.verdict == "daemonized")
        return fmt::format("{} daemonized (own session){}", subject, parent);
    std::string why =
        has(j, "survived_because") ? fmt::format(", survived: {}", str(j, "survived_because")) : "";
    return fmt::format("{} orphaned by {}{}{}{}", subject,
                       str(j, "cause") == "disconnect" ? "the disconnect" : "its parent's exit",
                       why, parent, j.value("output_lost", false) ? "; its output is lost" : "");
}

}  // namespace hupwatch
