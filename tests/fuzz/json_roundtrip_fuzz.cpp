// libFuzzer target: the stored-JSON decoder (exporters/format/json_decoder),
// as a round trip. Whatever a line decodes to must encode (event_json,
// finding_format) to a line that decodes again, to the same value: encoding
// both gives the same text. A decoder that accepts what it cannot give back,
// or an encoder that writes what the decoder reads differently, fails here.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "event_json.h"
#include "finding_format.h"
#include "json_decoder.h"

namespace {

const hupwatch::BootClock kClock(1'795'850'484'000'000'000LL);

std::string encode(const hupwatch::DecodedLine& decoded) {
    return std::visit([](const auto& value) { return hupwatch::to_json_line(value, kClock); },
                      decoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string error;
    auto first = hupwatch::decode_json_line(input, kClock, error);
    if (!first) return 0;
    const std::string line = encode(*first);
    auto second = hupwatch::decode_json_line(line, kClock, error);
    if (!second) __builtin_trap();  // we wrote a line we cannot read
    if (first->index() != second->index() || encode(*second) != line) __builtin_trap();
    return 0;
}
