// "100M"-style sizes for command-line options.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hupwatch {

// Bytes from "4096", "64K", "100M", "2G" (powers of 1024; an optional "B" or
// "iB" after the suffix). nullopt for anything else or on overflow.
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace hupwatch
