#include "signal_names.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <string>

namespace hupwatch {
namespace {

constexpr int kLastStandardSignal = 31;

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
#define HUPWATCH_HAVE_ABBREV_NP 1
#endif

// Abbreviation without "SIG", or nullptr. The fallback table uses the macros,
// so numbering stays right on architectures where it differs (mips, sparc).
const char* standard_abbrev(int sig) {
#ifdef HUPWATCH_HAVE_ABBREV_NP
    return sigabbrev_np(sig);
#else
    struct Entry {
        int sig;
        const char* name;
    };
    static constexpr Entry kTable[] = {
        {SIGHUP, "HUP"},       {SIGINT, "INT"},   {SIGQUIT, "QUIT"},   {SIGILL, "ILL"},
        {SIGTRAP, "TRAP"},     {SIGABRT, "ABRT"}, {SIGBUS, "BUS"},     {SIGFPE, "FPE"},
        {SIGKILL, "KILL"},     {SIGUSR1, "USR1"}, {SIGSEGV, "SEGV"},   {SIGUSR2, "USR2"},
        {SIGPIPE, "PIPE"},     {SIGALRM, "ALRM"}, {SIGTERM, "TERM"},   {SIGCHLD, "CHLD"},
        {SIGCONT, "CONT"},     {SIGSTOP, "STOP"}, {SIGTSTP, "TSTP"},   {SIGTTIN, "TTIN"},
        {SIGTTOU, "TTOU"},     {SIGURG, "URG"},   {SIGXCPU, "XCPU"},   {SIGXFSZ, "XFSZ"},
        {SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"}, {SIGWINCH, "WINCH"}, {SIGIO, "IO"},
        {SIGPWR, "PWR"},       {SIGSYS, "SYS"},
#ifdef SIGSTKFLT
        {SIGSTKFLT, "STKFLT"},
#endif
    };
    for (const Entry& e : kTable)
        if (e.sig == sig) return e.name;
    return nullptr;
#endif
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

bool consume_prefix(std::string_view& text, std::string_view prefix) {
    if (text.size() < prefix.size() || !iequals(text.substr(0, prefix.size()), prefix))
        return false;
    text.remove_prefix(prefix.size());
    return true;
}

std::optional<int> parse_number(std::string_view text) {
    int value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
    return value;
}

std::optional<int> in_range(std::optional<int> sig) {
    if (!sig || *sig < 1 || *sig > SIGRTMAX) return std::nullopt;
    return sig;
}

// "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n" (prefix "SIG" already removed).
std::optional<int> parse_realtime(std::string_view text) {
    if (consume_prefix(text, "RTMIN")) {
        if (text.empty()) return SIGRTMIN;
        if (text.front() != '+') return std::nullopt;
        auto n = parse_number(text.substr(1));
        if (!n || *n < 0 || *n > SIGRTMAX - SIGRTMIN) return std::nullopt;
        return SIGRTMIN + *n;
    }
    if (consume_prefix(text, "RTMAX")) {
        if (text.empty()) return SIGRTMAX;
        if (text.front() != '-') return std::nullopt;
        auto n = parse_number(text.substr(1));
        if (!n || *n < 0 || *n > SIGRTMAX - SIGRTMIN) return std::nullopt;
        return SIGRTMAX - *n;
    }
    return std::nullopt;
}

}  // namespace

std::string signal_name(int sig) {
    if (sig >= 1 && sig <= kLastStandardSignal) {
        if (const char* abbrev = standard_abbrev(sig)) return fmt::format("SIG{}", abbrev);
    }
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
        if (sig == SIGRTMIN) return "SIGRTMIN";
        return fmt::format("SIGRTMIN+{}", sig - SIGRTMIN);
    }
    return fmt::format("SIG{}", sig);
}

std::optional<int> parse_signal(std::string_view text) {
    if (auto n = parse_number(text)) return in_range(n);
    consume_prefix(text, "SIG");
    if (auto n = parse_number(text)) return in_range(n);
    if (auto rt = parse_realtime(text)) return rt;
    for (int sig = 1; sig <= kLastStandardSignal; ++sig) {
        const char* abbrev = standard_abbrev(sig);
        if (abbrev && iequals(text, abbrev)) return sig;
    }
    // Old spellings people still type.
    if (iequals(text, "IOT")) return SIGABRT;
    if (iequals(text, "POLL")) return SIGIO;
    if (iequals(text, "CLD")) return SIGCHLD;
    return std::nullopt;
}

std::string errno_name(int err) {
#ifdef HUPWATCH_HAVE_ABBREV_NP
    if (const char* name = strerrorname_np(err)) return name;
#else
    // The errors setsid(2) and setpgid(2) return; the rest get a number.
    switch (err) {
        case EPERM:
            return "EPERM";
        case ESRCH:
            return "ESRCH";
        case EINVAL:
            return "EINVAL";
        case EACCES:
            return "EACCES";
        default:
            break;
    }
#endif
    return fmt::format("E{}", err);
}

std::optional<std::string> syscall_error_name(std::int64_t ret) {
    if (ret >= 0) return std::nullopt;
    // Kernel returns are -errno with errno < 4096; a value that does not fit
    // an int is not an errno, but still shown rather than overflowing.
    if (ret < -INT32_MAX) return fmt::format("E{}", 0 - static_cast<std::uint64_t>(ret));
    return errno_name(static_cast<int>(-ret));
}

}  // namespace hupwatch
