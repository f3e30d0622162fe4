// Names for the kernel's numeric signal and errno values that events carry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hupwatch {

// "SIGHUP" for the standard signals, "SIGRTMIN"/"SIGRTMIN+n" for real-time
// ones (counted from the C library's SIGRTMIN, as kill -l does), "SIG<n>"
// for anything else, including 0 and the two real-time signals glibc keeps.
std::string signal_name(int sig);

// Accepts "HUP", "SIGHUP", "sighup", "1", "SIGRTMIN+2", "RTMAX-1", "SIG40":
// every name signal_name() produces. nullopt for anything else or a number
// outside 1..SIGRTMAX.
std::optional<int> parse_signal(std::string_view text);

// "EPERM" for a positive errno value, "E<n>" when the C library has no name.
std::string errno_name(int err);

// For a syscall return value: nullopt on success (ret >= 0), else the name
// of -ret.
std::optional<std::string> syscall_error_name(std::int64_t ret);

}  // namespace hupwatch
