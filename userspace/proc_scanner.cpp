#include "proc_scanner.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <system_error>

#include "decoder.h"

namespace hupwatch {
namespace {

namespace fs = std::filesystem;

struct FileRead {
    std::string data;
    int error = 0;  // errno of the failed open/read, 0 on success
};

// /proc files report size 0, so read to EOF rather than trusting stat().
FileRead read_file(const fs::path& path) {
    FileRead out;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        out.error = errno;
        return out;
    }
    std::array<char, 4096> buf;
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) out.error = errno;
        if (n <= 0) break;
        out.data.append(buf.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

// ENOENT: the directory went away; ESRCH: the task died while we read.
bool is_vanished(int error) {
    return error == ENOENT || error == ESRCH;
}

template <typename T>
std::optional<T> parse_number(std::string_view text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

bool is_space(char c) {
    return c == ' ' || c == '\n' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// Real uid: the first of the four ids on the "Uid:" line of /proc/PID/status.
std::optional<std::uint32_t> parse_status_uid(std::string_view status) {
    while (!status.empty()) {
        std::size_t eol = status.find('\n');
        std::string_view line = status.substr(0, eol);
        if (line.starts_with("Uid:")) {
            line = trim(line.substr(4));
            // The effective uid must follow, or the line was cut inside the real one.
            std::size_t sep = line.find_first_of(" \t");
            if (sep == std::string_view::npos) return std::nullopt;
            return parse_number<std::uint32_t>(line.substr(0, sep));
        }
        if (eol == std::string_view::npos) break;
        status.remove_prefix(eol + 1);
    }
    return std::nullopt;
}

// loginuid and sessionid: absent without CONFIG_AUDIT, so "unset" then.
std::uint32_t read_audit_id(const fs::path& path) {
    FileRead file = read_file(path);
    if (file.error != 0) return UINT32_MAX;
    return parse_number<std::uint32_t>(trim(file.data)).value_or(UINT32_MAX);
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view line) {
    // comm may hold spaces and ')', so it ends at the LAST ')'.
    std::size_t open = line.find('(');
    std::size_t close = line.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open)
        return std::nullopt;

    ProcStat out;
    auto pid = parse_number<std::uint32_t>(trim(line.substr(0, open)));
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
    auto ppid = parse_number<std::int64_t>(fields[4 - 3]);
    auto pgrp = parse_number<std::int64_t>(fields[5 - 3]);
    auto session = parse_number<std::int64_t>(fields[6 - 3]);
    auto tty_nr = parse_number<std::int64_t>(fields[7 - 3]);
    auto start = parse_number<std::uint64_t>(fields[22 - 3]);
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

ProcScanner::ProcScanner(std::filesystem::path root, long ticks_per_second)
    : root_(std::move(root)) {
    if (ticks_per_second <= 0) ticks_per_second = ::sysconf(_SC_CLK_TCK);
    if (ticks_per_second <= 0) ticks_per_second = 100;  // USER_HZ on every Linux arch
    tick_ns_ = 1'000'000'000ULL / static_cast<std::uint64_t>(ticks_per_second);
}

std::vector<ProcSnapshot> ProcScanner::scan() {
    ++counters_.scans;
    std::vector<ProcSnapshot> out;
    std::error_code ec;
    for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        auto pid = parse_number<std::uint32_t>(name);
        if (!pid || *pid == 0) continue;  // self, sys, ...: not processes

        ProcSnapshot snap;
        switch (read_process(it->path(), *pid, snap)) {
            case Outcome::Ok:
                out.push_back(std::move(snap));
                break;
            case Outcome::Vanished:
                ++counters_.vanished;
                break;
            case Outcome::Malformed:
                ++counters_.malformed;
                break;
            case Outcome::Unreadable:
                ++counters_.unreadable;
                break;
        }
    }
    return out;
}

ProcScanner::Outcome ProcScanner::read_process(const fs::path& dir, std::uint32_t pid,
                                               ProcSnapshot& out) {
    FileRead stat_file = read_file(dir / "stat");
    if (stat_file.error != 0)
        return is_vanished(stat_file.error) ? Outcome::Vanished : Outcome::Unreadable;
    auto stat = parse_proc_stat(stat_file.data);
    if (!stat || stat->pid != pid) return Outcome::Malformed;

    FileRead status_file = read_file(dir / "status");
    if (status_file.error != 0)
        return is_vanished(status_file.error) ? Outcome::Vanished : Outcome::Unreadable;
    auto uid = parse_status_uid(status_file.data);
    if (!uid) return Outcome::Malformed;

    FileRead cmdline = read_file(dir / "cmdline");
    if (is_vanished(cmdline.error)) return Outcome::Vanished;

    ProcessInfo& info = out.info;
    info.pid = pid;
    info.tid = pid;
    info.ppid = stat->ppid;
    info.pgid = stat->pgrp;
    info.sid = stat->session;
    info.uid = *uid;
    info.loginuid = read_audit_id(dir / "loginuid");
    info.audit_session = read_audit_id(dir / "sessionid");
    info.tty_dev = tty_nr_to_dev(stat->tty_nr);
    info.start_ns = stat->starttime_ticks * tick_ns_;
    info.comm = std::move(stat->comm);
    out.argv = split_argv(cmdline.data);
    out.start_tick_ns = tick_ns_;

    // exe is readable only for our own processes unless privileged: optional.
    std::error_code ec;
    fs::path exe = fs::read_symlink(dir / "exe", ec);
    if (!ec) out.exe = exe.string();
    return Outcome::Ok;
}

}  // namespace hupwatch
