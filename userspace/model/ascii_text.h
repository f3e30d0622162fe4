// Small text helpers shared by the parsers of names (secrets, units).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace hupwatch {

// ASCII lower case: names, flags and units compared without regard to case;
// bytes above 0x7f stay as they are.
inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    return out;
}

}  // namespace hupwatch
