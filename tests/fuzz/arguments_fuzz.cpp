// libFuzzer target: the values a user types: times (--since, --until, --at),
// durations (--retention) and sizes (--db.max-size, --events.json.max-size).
// The first byte picks the parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "size_arg.h"
#include "time_arg.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::string error;
    switch (data[0] % 3) {
        case 0:
            // A fixed "now" keeps runs reproducible: 2026-11-28T13:00:00Z.
            (void)hupwatch::parse_time_arg(text, 1795870800LL * 1'000'000'000, error);
            break;
        case 1:
            (void)hupwatch::parse_duration(text);
            break;
        default:
            (void)hupwatch::parse_size(text);
            break;
    }
    return 0;
}
