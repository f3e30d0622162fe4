// One JSON object of docs/events.md read key by key into typed values, for
// the decoder (json_decoder.cpp). Internal to the format stage.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "boot_clock.h"
#include "proc_text.h"
#include "signal_names.h"
#include "tty_names.h"

namespace hupwatch {

using Json = nlohmann::json;

// Reads typed keys of one object; the first missing or mistyped key is
// remembered, and every later read returns a zero value.
class FieldReader {
   public:
    FieldReader(const Json& object, const BootClock& clock) : j_(object), clock_(clock) {}

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    void fail(std::string_view key, std::string_view why) {
        if (ok()) error_ = fmt::format("key \"{}\": {}", key, why);
    }

    const Json* field(std::string_view key) {
        auto it = j_.find(key);
        if (it == j_.end()) {
            fail(key, "missing");
            return nullptr;
        }
        return &*it;
    }
    bool is_null(std::string_view key) {
        const Json* v = field(key);
        return !v || v->is_null();
    }
    std::uint64_t u64(std::string_view key) {
        const Json* v = field(key);
        if (!v) return 0;
        if (!v->is_number_unsigned()) return fail(key, "not an unsigned integer"), 0;
        return v->get<std::uint64_t>();
    }
    std::uint32_t u32(std::string_view key) {
        std::uint64_t v = u64(key);
        if (v > UINT32_MAX) return fail(key, "out of range"), 0;
        return static_cast<std::uint32_t>(v);
    }
    // The kernel's (u32)-1 "unset" is written as null.
    std::uint32_t u32_or_unset(std::string_view key) {
        return is_null(key) ? UINT32_MAX : u32(key);
    }
    std::int64_t i64(std::string_view key) {
        const Json* v = field(key);
        if (!v) return 0;
        if (v->is_number_unsigned()) {
            if (v->get<std::uint64_t>() > INT64_MAX) return fail(key, "out of range"), 0;
            return static_cast<std::int64_t>(v->get<std::uint64_t>());
        }
        if (!v->is_number_integer()) return fail(key, "not an integer"), 0;
        return v->get<std::int64_t>();
    }
    double number(std::string_view key) {
        const Json* v = field(key);
        if (!v) return 0;
        if (!v->is_number()) return fail(key, "not a number"), 0;
        return v->get<double>();
    }
    bool boolean(std::string_view key) {
        const Json* v = field(key);
        if (!v) return false;
        if (!v->is_boolean()) return fail(key, "not a boolean"), false;
        return v->get<bool>();
    }
    // A key added to the contract later: absent in older stores, so false.
    bool boolean_since_added(std::string_view key) {
        return j_.contains(key) ? boolean(key) : false;
    }
    bool has(std::string_view key) const { return j_.contains(key); }
    std::string str(std::string_view key) {
        const Json* v = field(key);
        if (!v) return {};
        if (!v->is_string()) return fail(key, "not a string"), std::string{};
        return v->get<std::string>();
    }
    std::uint64_t time(std::string_view key) {
        std::string text = str(key);
        if (!ok()) return 0;
        auto ns = clock_.boot_ns_of(text);
        if (!ns) return fail(key, "not an RFC 3339 time of this clock"), 0;
        return *ns;
    }
    std::uint32_t tty(std::string_view key) {
        if (is_null(key)) return 0;
        std::string name = str(key);
        auto dev = tty_dev_of(name);
        if (!dev && ok()) fail(key, "unknown terminal name");
        return dev.value_or(0);
    }
    int signal(std::string_view key) {
        std::string name = str(key);
        if (auto sig = parse_signal(name)) return *sig;
        // signal_name()'s "SIG<n>" for numbers without a name, 0 included.
        if (name.size() > 3 && name.compare(0, 3, "SIG") == 0)
            if (auto n = parse_decimal<int>(name.substr(3)); n && *n >= 0) return *n;
        if (ok()) fail(key, "unknown signal");
        return 0;
    }
    std::vector<std::string> strings(std::string_view key) {
        std::vector<std::string> out;
        const Json* v = field(key);
        if (!v) return out;
        if (!v->is_array()) return fail(key, "not an array"), out;
        for (const auto& item : *v) {
            if (!item.is_string()) return fail(key, "holds a non-string"), out;
            out.push_back(item.get<std::string>());
        }
        return out;
    }
    // A name of one of the model's tables (parse_*), read back to its enum.
    template <typename Parse>
    auto named(std::string_view key, Parse parse) -> decltype(parse(std::string_view{})) {
        std::string name = str(key);
        auto value = parse(name);
        if (!value && ok()) fail(key, fmt::format("unknown value \"{}\"", name));
        return value;
    }
    template <typename Parse>
    auto named_or_null(std::string_view key, Parse parse) -> decltype(parse(std::string_view{})) {
        if (is_null(key)) return std::nullopt;
        return named(key, parse);
    }
    FieldReader nested(const Json& object) const { return FieldReader(object, clock_); }

   private:
    const Json& j_;
    const BootClock& clock_;
    std::string error_;
};

}  // namespace hupwatch
