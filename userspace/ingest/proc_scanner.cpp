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

// loginuid and sessionid: absent without CONFIG_AUDIT, so "unset" then.
std::uint32_t read_audit_id(const fs::path& path) {
    FileRead file = read_file(path);
    if (file.error != 0) return UINT32_MAX;
    return parse_decimal<std::uint32_t>(trim_blanks(file.data)).value_or(UINT32_MAX);
}

}  // namespace

ProcScanner::ProcScanner(std::filesystem::path root, long ticks_per_second)
    : root_(std::move(root)) {
    if (ticks_per_second <= 0) ticks_per_second = ::sysconf(_SC_CLK_TCK);
    if (ticks_per_second <= 0) ticks_per_second = 100;  // USER_HZ on every Linux arch
    tick_ns_ = 1'000'000'000ULL / static_cast<std::uint64_t>(ticks_per_second);
}

std::vector<ProcSnapshot> ProcScanner::scan() {
    ++counters_.scans;
    std::vector<ProcSnapshot> out;
    unread_.clear();
    bool listed_init = false;
    std::error_code ec;
    for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        auto pid = parse_decimal<std::uint32_t>(name);
        if (!pid || *pid == 0) continue;  // self, sys, ...: not processes
        listed_init = listed_init || *pid == 1;

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
                unread_.push_back(*pid);
                break;
            case Outcome::Unreadable:
                ++counters_.unreadable;
                unread_.push_back(*pid);
                break;
        }
    }
    // The namespace's init lives as long as any process in it: a listing
    // without it is not every process (hidepid=invisible hides other
    // users' processes from a reader without CAP_SYS_PTRACE), and what it
    // lacks proves no process gone.
    complete_ = !ec && listed_init;
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
