// One table per enum: each value beside its public name (docs/events.md).
// The encoders print through name_of(), the decoder reads back through
// value_of(), so a name is written once and a typo cannot compile.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace hupwatch {

template <typename E, std::size_t N>
using NameTable = std::array<std::pair<E, std::string_view>, N>;

template <typename E, std::size_t N>
constexpr std::string_view name_of(const NameTable<E, N>& table, E value,
                                   std::string_view unknown = "unknown") {
    for (const auto& [v, name] : table)
        if (v == value) return name;
    return unknown;
}

template <typename E, std::size_t N>
constexpr std::optional<E> value_of(const NameTable<E, N>& table, std::string_view name) {
    for (const auto& [v, n] : table)
        if (n == name) return v;
    return std::nullopt;
}

}  // namespace hupwatch
