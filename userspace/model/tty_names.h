// Controlling-terminal names from the kernel dev_t the BPF side reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hupwatch {

// kernel_dev is the kernel's internal encoding, MKDEV(major, minor) =
// major << 20 | minor, not the userspace dev_t of stat(2).
std::uint32_t tty_major(std::uint32_t kernel_dev);
std::uint32_t tty_minor(std::uint32_t kernel_dev);

// Name as under /dev, from the fixed allocations of the kernel's
// Documentation/admin-guide/devices.txt: "pts/3", "tty1", "ttyS0", "console".
// Unknown majors give "tty(MAJ,MIN)". nullopt for 0: no controlling terminal.
// Pure, no /dev lookup, so a name never depends on the host it is printed on.
std::optional<std::string> tty_name(std::uint32_t kernel_dev);

// The inverse, for the JSON decoder: a dev whose tty_name() is `name`.
// nullopt for a name tty_name() never gives.
std::optional<std::uint32_t> tty_dev_of(std::string_view name);

}  // namespace hupwatch
