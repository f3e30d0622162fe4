#include "tty_names.h"

#include <fmt/format.h>

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

}  // namespace hupwatch
