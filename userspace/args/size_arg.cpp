#include "size_arg.h"

#include <cctype>
#include <limits>

namespace hupwatch {

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t value = 0;
    std::size_t i = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
        auto digit = static_cast<std::uint64_t>(text[i] - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    if (i == 0) return std::nullopt;
    std::string_view suffix = text.substr(i);
    unsigned shift = 0;
    if (!suffix.empty()) {
        switch (std::toupper(static_cast<unsigned char>(suffix[0]))) {
            case 'K':
                shift = 10;
                break;
            case 'M':
                shift = 20;
                break;
            case 'G':
                shift = 30;
                break;
            case 'T':
                shift = 40;
                break;
            case 'B':
                shift = 0;
                break;
            default:
                return std::nullopt;
        }
        suffix.remove_prefix(1);
        if (suffix == "iB" || suffix == "B" || suffix == "ib" || suffix == "b") suffix = {};
        if (!suffix.empty()) return std::nullopt;
    }
    if (shift && value > (std::numeric_limits<std::uint64_t>::max() >> shift)) return std::nullopt;
    return value << shift;
}

}  // namespace hupwatch
