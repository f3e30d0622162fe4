#include "event_text.h"

#include <fmt/format.h>

#include <cstdint>
#include <optional>

#include "event_json.h"
#include "signal_names.h"

namespace hupwatch {
namespace {

struct CodePoint {
    char32_t value;
    std::size_t length;
};

// Strict UTF-8 decoding (no overlongs, surrogates or values past U+10FFFF),
// so whatever we pass through unchanged is exactly what the terminal decodes.
std::optional<CodePoint> decode_utf8(std::string_view s) {
    const auto byte = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    struct Form {
        unsigned char mask, prefix;
        std::size_t length;
        char32_t min;  // smallest value this length may encode
    };
    static constexpr Form kForms[] = {{0x80, 0x00, 1, 0},
                                      {0xe0, 0xc0, 2, 0x80},
                                      {0xf0, 0xe0, 3, 0x800},
                                      {0xf8, 0xf0, 4, 0x10000}};
    const unsigned char lead = byte(0);
    const Form* form = nullptr;
    for (const Form& f : kForms)
        if ((lead & f.mask) == f.prefix) form = &f;
    if (!form) return std::nullopt;
    const std::size_t length = form->length;
    const char32_t min = form->min;
    char32_t value = lead & static_cast<unsigned char>(~form->mask);
    if (s.size() < length) return std::nullopt;
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xc0) != 0x80) return std::nullopt;
        value = (value << 6) | (byte(i) & 0x3fu);
    }
    if (value < min || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
        return std::nullopt;
    return CodePoint{value, length};
}

// C1 controls (some terminals act on them), and the format characters that
// reorder displayed text (the "Trojan Source" trick) or break lines.
bool is_invisible_control(char32_t c) {
    return (c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
           (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

void append_ascii(std::string& out, char c, bool quoted) {
    switch (c) {
        case '\n':
            out += "\\n";
            return;
        case '\t':
            out += "\\t";
            return;
        case '\r':
            out += "\\r";
            return;
        case '\\':
            out += "\\\\";
            return;
        case '"':
            out += quoted ? "\\\"" : "\"";
            return;
        default:
            break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
        out += fmt::format("\\x{:02x}", u);
    else
        out += c;
}

std::string argv_text(const std::vector<std::string>& argv) {
    std::string out = "[";
    for (std::size_t i = 0; i < argv.size(); ++i) {
        if (i != 0) out += ',';
        out += '"';
        out += escape_for_terminal(argv[i], true);
        out += '"';
    }
    out += ']';
    return out;
}

std::string details(const ForkEvent& e) {
    return fmt::format("parent {}", e.child.ppid);
}

std::string details(const ExecEvent& e) {
    std::string out = fmt::format("{} {}", escape_for_terminal(e.filename), argv_text(e.argv));
    if (e.argv_truncated) out += " (argv truncated)";
    // A non-leader thread exec'd and took over the group leader's pid.
    // 0: it did, but outside the host's pid namespace its number is unknown.
    if (e.old_pid == 0)
        out += " (was another thread)";
    else if (e.old_pid != e.proc.pid)
        out += fmt::format(" (was thread {})", e.old_pid);
    return out;
}

std::string details(const ExitEvent& e) {
    std::string out;
    if (auto code = e.exit_code())
        out = fmt::format("exited {}", *code);
    else
        out = fmt::format("killed by {}", signal_name(e.term_signal()));
    if (e.core_dumped()) out += " (core dumped)";
    const std::uint64_t orphans = std::uint64_t{e.orphans} + e.orphans_overflow;
    if (orphans != 0) out += fmt::format(", {} orphaned", orphans);
    return out;
}

std::string details(const SignalEvent& e) {
    return fmt::format("{} from {} {} ({}) {}", signal_name(e.sig), e.sender_pid,
                       escape_for_terminal(e.sender_comm), signal_origin_name(e.origin),
                       signal_result_name(e.result));
}

std::string details(const ReparentEvent& e) {
    return fmt::format("{} -> {} ({})", e.old_ppid, e.new_ppid, reaper_kind_name(e.reaper));
}

std::string details(const SessionEvent& e) {
    std::string out;
    if (e.call == SessionCall::Setpgid) out = fmt::format("pid {} pgid {} ", e.arg_pid, e.arg_pgid);
    if (auto error = syscall_error_name(e.ret)) return out + "failed " + *error;
    if (e.call == SessionCall::Setsid) return out + fmt::format("new session {}", e.ret);
    return out + "ok";
}

std::string details(const OutputLostEvent& e) {
    return fmt::format("write to fd {} failed with EIO (hung-up terminal); {} so far", e.fd,
                       e.eio_writes);
}

std::string details(const OomVictimEvent& e) {
    return fmt::format("chosen by the OOM killer in memory cgroup {}{} (allocation by {})",
                       escape_for_terminal(e.memcg_path), e.memcg_path_truncated ? "..." : "",
                       e.trigger_pid);
}

std::string details(const CgroupMkdirEvent& e) {
    return fmt::format("made cgroup {}{} (id {})", escape_for_terminal(e.path),
                       e.path_truncated ? "..." : "", e.cgroup_id);
}

std::string details(const ExitUnseenEvent&) {
    return "gone by now: its exit event was lost (ring buffer full)";
}

}  // namespace

std::string escape_for_terminal(std::string_view text, bool quoted) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        const auto cp = decode_utf8(text);
        if (!cp) {
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text.front()));
            text.remove_prefix(1);
            continue;
        }
        if (cp->length == 1)
            append_ascii(out, text.front(), quoted);
        else if (is_invisible_control(cp->value))
            out += fmt::format("\\u{{{:04x}}}", static_cast<std::uint32_t>(cp->value));
        else
            out.append(text.substr(0, cp->length));
        text.remove_prefix(cp->length);
    }
    return out;
}

std::string to_text_line(const Event& event, const BootClock& clock) {
    const ProcessInfo& p = event.subject();
    const std::string body = std::visit([](const auto& e) { return details(e); }, event.body);
    return fmt::format("{} {:<8} {} {:<9} {}", clock.local_time_of_day(event.ktime_ns),
                       output_event_name(event), p.pid, escape_for_terminal(p.comm), body);
}

std::string command_for_terminal(const std::vector<std::string>& argv, std::string_view comm) {
    if (argv.empty()) return "[" + escape_for_terminal(comm) + "]";
    std::string out;
    for (const auto& arg : argv) {
        if (!out.empty()) out += ' ';
        out += escape_for_terminal(arg);
    }
    return out;
}

}  // namespace hupwatch
