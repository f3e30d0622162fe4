#include "json_line_writer.h"

#include <charconv>

namespace hupwatch {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// How many continuation bytes a lead byte announces, and the range its first
// continuation byte must fall in: the ranges exclude overlong forms,
// surrogates (ED A0..BF) and code points above U+10FFFF, exactly the
// sequences a strict UTF-8 decoder (and nlohmann's DFA) rejects.
struct Lead {
    int continuation;  // 0: a byte that cannot start a sequence
    unsigned char low, high;
};

constexpr Lead lead_of(unsigned char byte) {
    if (byte >= 0xC2 && byte <= 0xDF) return {1, 0x80, 0xBF};
    if (byte == 0xE0) return {2, 0xA0, 0xBF};
    if (byte == 0xED) return {2, 0x80, 0x9F};
    if (byte >= 0xE1 && byte <= 0xEF) return {2, 0x80, 0xBF};
    if (byte == 0xF0) return {3, 0x90, 0xBF};
    if (byte == 0xF4) return {3, 0x80, 0x8F};
    if (byte >= 0xF1 && byte <= 0xF3) return {3, 0x80, 0xBF};
    return {0, 0, 0};
}

void append_escaped_ascii(std::string& out, unsigned char c) {
    switch (c) {
        case '"':
            out += "\\\"";
            return;
        case '\\':
            out += "\\\\";
            return;
        case '\b':
            out += "\\b";
            return;
        case '\f':
            out += "\\f";
            return;
        case '\n':
            out += "\\n";
            return;
        case '\r':
            out += "\\r";
            return;
        case '\t':
            out += "\\t";
            return;
        default:
            break;
    }
    if (c <= 0x1F) {
        static constexpr char kHex[] = "0123456789abcdef";
        const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(escaped, sizeof escaped);
        return;
    }
    out += static_cast<char>(c);
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view bytes) {
    const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    std::size_t i = 0;
    while (i < n) {
        // Plain ASCII runs are the common case: copy them in one go.
        std::size_t run = i;
        while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\') ++run;
        if (run > i) {
            out.append(bytes.data() + i, run - i);
            i = run;
            continue;
        }
        const unsigned char c = s[i];
        if (c < 0x80) {
            append_escaped_ascii(out, c);
            ++i;
            continue;
        }
        const Lead lead = lead_of(c);
        if (lead.continuation == 0) {
            // A byte that starts nothing: replaced on its own.
            out += kReplacement;
            ++i;
            continue;
        }
        // Check the continuation bytes. The first bad one ends the invalid
        // sequence and is read again as the start of what follows, so one
        // broken sequence costs one U+FFFD and loses no good byte after it.
        std::size_t k = 1;
        for (; k <= static_cast<std::size_t>(lead.continuation); ++k) {
            if (i + k >= n) break;
            const unsigned char next = s[i + k];
            const unsigned char low = k == 1 ? lead.low : 0x80;
            const unsigned char high = k == 1 ? lead.high : 0xBF;
            if (next < low || next > high) break;
        }
        if (k > static_cast<std::size_t>(lead.continuation)) {
            out.append(bytes.data() + i, k);
        } else {
            out += kReplacement;
        }
        i += k;
    }
}

void JsonLineWriter::unsigned_number(std::uint64_t value) {
    separate();
    char buffer[24];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out_.append(buffer, result.ptr);
}

void JsonLineWriter::signed_number(std::int64_t value) {
    separate();
    char buffer[24];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out_.append(buffer, result.ptr);
}

}  // namespace hupwatch
