// Turns raw ring-buffer records into typed events. A bad record (short,
// unknown type, size mismatch) is reported as an error, never trusted.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <variant>

#include "events.h"

namespace hupwatch {

struct DecodeError {
    std::string message;
};

using DecodeResult = std::variant<Event, DecodeError>;

DecodeResult decode_record(std::span<const std::byte> record);

// argv as the kernel lays it out: NUL-separated strings, maybe cut short.
std::vector<std::string> split_argv(std::string_view args);

}  // namespace hupwatch
