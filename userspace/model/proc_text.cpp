#include "proc_text.h"

namespace hupwatch {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\n' || c == '\t';
}

}  // namespace

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::optional<std::uint32_t> parse_status_uid(std::string_view status) {
    while (!status.empty()) {
        std::size_t eol = status.find('\n');
        std::string_view line = status.substr(0, eol);
        if (line.starts_with("Uid:")) {
            line = trim_blanks(line.substr(4));
            // The effective uid must follow, or the line was cut inside the real one.
            std::size_t sep = line.find_first_of(" \t");
            if (sep == std::string_view::npos) return std::nullopt;
            return parse_decimal<std::uint32_t>(line.substr(0, sep));
        }
        if (eol == std::string_view::npos) break;
        status.remove_prefix(eol + 1);
    }
    return std::nullopt;
}

std::optional<ProcStat> parse_proc_stat(std::string_view line) {
    // comm may hold spaces and ')', so it ends at the LAST ')'.
    std::size_t open = line.find('(');
    std::size_t close = line.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open)
        return std::nullopt;

    ProcStat out;
    auto pid = parse_decimal<std::uint32_t>(trim_blanks(line.substr(0, open)));
    if (!pid || *pid == 0) return std::nullopt;
    out.pid = *pid;
    out.comm = std::string(line.substr(open + 1, close - open - 1));

    // Fields from 3 (state) on; field N is fields[N - 3].
    std::vector<std::string_view> fields;
    std::string_view rest = line.substr(close + 1);
    while (fields.size() < 21) {
        while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
        if (rest.empty()) break;
        std::size_t end = 0;
        while (end < rest.size() && !is_space(rest[end])) ++end;
        fields.push_back(rest.substr(0, end));
        rest.remove_prefix(end);
    }
    // Need field 23 too: a line cut inside starttime would otherwise parse as a
    // shorter, wrong number.
    if (fields.size() < 21) return std::nullopt;

    // The kernel prints these with %d; tty_nr may have bit 31 set for big minors.
    auto ppid = parse_decimal<std::int64_t>(fields[4 - 3]);
    auto pgrp = parse_decimal<std::int64_t>(fields[5 - 3]);
    auto session = parse_decimal<std::int64_t>(fields[6 - 3]);
    auto tty_nr = parse_decimal<std::int64_t>(fields[7 - 3]);
    auto start = parse_decimal<std::uint64_t>(fields[22 - 3]);
    if (!ppid || !pgrp || !session || !tty_nr || !start) return std::nullopt;
    out.ppid = static_cast<std::uint32_t>(*ppid);
    out.pgrp = static_cast<std::uint32_t>(*pgrp);
    out.session = static_cast<std::uint32_t>(*session);
    out.tty_nr = static_cast<std::uint32_t>(*tty_nr);
    out.starttime_ticks = *start;
    return out;
}

std::uint32_t tty_nr_to_dev(std::uint32_t tty_nr) {
    // Inverse of new_encode_dev(): minor's low byte, major, then minor's high bits.
    std::uint32_t major = (tty_nr >> 8) & 0xfff;
    std::uint32_t minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    return (major << 20) | minor;
}

}  // namespace hupwatch
