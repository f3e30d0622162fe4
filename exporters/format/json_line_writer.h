// A minimal JSON writer appending straight to a string: objects, arrays,
// strings, integers, booleans, null. No DOM, no allocation beyond the output.
//
// Output is byte-identical to nlohmann::json's
// dump(-1, ' ', false, error_handler_t::replace) of the same values: keys and
// values in call order, integers in plain decimal, strings escaped as nlohmann
// escapes them (\" \\ \b \f \n \r \t, other U+0000..U+001F as lowercase
// \u00xx, DEL and valid UTF-8 as-is) and invalid UTF-8 replaced by U+FFFD
// exactly where nlohmann's replace handler puts it (same decoder DFA).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hupwatch {

// Appends the escaped form of `bytes` (without quotes) to `out`.
void append_json_escaped(std::string& out, std::string_view bytes);

class JsonLineWriter {
   public:
    explicit JsonLineWriter(std::string& out) : out_(out) {}

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    // `name` is written as is: a literal key that needs no escaping.
    void key(std::string_view name) {
        separate();
        out_ += '"';
        out_ += name;
        out_ += "\":";
        first_ = true;  // the value that follows takes no comma
    }

    void string(std::string_view value) {
        separate();
        out_ += '"';
        append_json_escaped(out_, value);
        out_ += '"';
    }
    void unsigned_number(std::uint64_t value);
    void signed_number(std::int64_t value);
    void boolean(bool value) {
        separate();
        out_ += value ? "true" : "false";
    }
    void null() {
        separate();
        out_ += "null";
    }

    // For a value the caller appends itself, already valid JSON.
    std::string& raw_value() {
        separate();
        return out_;
    }

   private:
    void open(char bracket) {
        separate();
        out_ += bracket;
        first_ = true;
    }
    void close(char bracket) {
        out_ += bracket;
        first_ = false;
    }
    void separate() {
        if (!first_) out_ += ',';
        first_ = false;
    }

    std::string& out_;
    bool first_ = true;
};

}  // namespace hupwatch
