#include "tty_names.h"

#include <fmt/format.h>

#include <charconv>

namespace hupwatch {
namespace {

constexpr std::uint32_t kMinorBits = 20;  // MINORBITS in include/linux/kdev_t.h
constexpr std::uint32_t kMinorMask = (1u << kMinorBits) - 1;

// Majors from devices.txt.
constexpr std::uint32_t kTtyMajor = 4;          // tty0..63 virtual consoles, ttyS serial
constexpr std::uint32_t kTtyAuxMajor = 5;       // /dev/tty, console, ptmx
constexpr std::uint32_t kPtsFirstMajor = 136;   // UNIX98_PTY_SLAVE_MAJOR
constexpr std::uint32_t kPtsMajorCount = 8;     // 136..143, 256 minors each
constexpr std::uint32_t kAcmMajor = 166;        // USB CDC ACM serial
constexpr std::uint32_t kUsbSerialMajor = 188;  // USB serial converters
constexpr std::uint32_t kFirstSerialMinor = 64;

std::uint32_t make_dev(std::uint32_t major, std::uint32_t minor) {
    return major << kMinorBits | minor;
}

// The number after `prefix` in `name`, when name is prefix + digits only.
std::optional<std::uint32_t> numbered(std::string_view name, std::string_view prefix) {
    if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix)
        return std::nullopt;
    std::string_view digits = name.substr(prefix.size());
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return n;
}

}  // namespace

std::uint32_t tty_major(std::uint32_t kernel_dev) {
    return kernel_dev >> kMinorBits;
}
std::uint32_t tty_minor(std::uint32_t kernel_dev) {
    return kernel_dev & kMinorMask;
}

std::optional<std::string> tty_name(std::uint32_t kernel_dev) {
    if (kernel_dev == 0) return std::nullopt;
    const std::uint32_t major = tty_major(kernel_dev);
    const std::uint32_t minor = tty_minor(kernel_dev);

    // The kernel keeps every pts in major 136 with a 20-bit minor; majors
    // 137..143 only occur with the old 8-bit minors, hence the 256 stride.
    if (major >= kPtsFirstMajor && major < kPtsFirstMajor + kPtsMajorCount)
        return fmt::format("pts/{}", (major - kPtsFirstMajor) * 256 + minor);
    if (major == kTtyMajor) {
        if (minor < kFirstSerialMinor) return fmt::format("tty{}", minor);
        return fmt::format("ttyS{}", minor - kFirstSerialMinor);
    }
    if (major == kTtyAuxMajor) {
        switch (minor) {
            case 0:
                return "tty";
            case 1:
                return "console";
            case 2:
                return "ptmx";
            default:
                break;
        }
    }
    if (major == kAcmMajor) return fmt::format("ttyACM{}", minor);
    if (major == kUsbSerialMajor) return fmt::format("ttyUSB{}", minor);
    return fmt::format("tty({},{})", major, minor);
}

std::optional<std::uint32_t> tty_dev_of(std::string_view name) {
    if (name == "tty") return make_dev(kTtyAuxMajor, 0);
    if (name == "console") return make_dev(kTtyAuxMajor, 1);
    if (name == "ptmx") return make_dev(kTtyAuxMajor, 2);
    if (auto n = numbered(name, "pts/"); n && *n <= kMinorMask) return make_dev(kPtsFirstMajor, *n);
    if (auto n = numbered(name, "ttyS"); n && *n <= kMinorMask - kFirstSerialMinor)
        return make_dev(kTtyMajor, kFirstSerialMinor + *n);
    if (auto n = numbered(name, "ttyACM"); n && *n <= kMinorMask) return make_dev(kAcmMajor, *n);
    if (auto n = numbered(name, "ttyUSB"); n && *n <= kMinorMask)
        return make_dev(kUsbSerialMajor, *n);
    if (auto n = numbered(name, "tty"); n && *n < kFirstSerialMinor) return make_dev(kTtyMajor, *n);
    // "tty(MAJ,MIN)"
    if (name.size() > 6 && name.substr(0, 4) == "tty(" && name.back() == ')') {
        std::string_view inner = name.substr(4, name.size() - 5);
        auto comma = inner.find(',');
        if (comma == std::string_view::npos) return std::nullopt;
        auto major = numbered(inner.substr(0, comma), "");
        auto minor = numbered(inner.substr(comma + 1), "");
        if (major && minor && *major < (1u << (32 - kMinorBits)) && *minor <= kMinorMask)
            return make_dev(*major, *minor);
    }
    return std::nullopt;
}

}  // namespace hupwatch
