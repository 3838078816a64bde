#pragma once
// Reading one field of an INSPECT row (a flat map of str -> int or str), private to the
// dashboard's sources.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shoal/proto/messages.hpp"

namespace shoal::dashboard::detail {

inline const proto::report_value* field(const proto::report_row& row, std::string_view key) {
    for (const proto::report_field& f : row) {
        if (f.key == key) return &f.value;
    }
    return nullptr;
}

inline std::optional<std::int64_t> int_field(const proto::report_row& row, std::string_view key) {
    const proto::report_value* v = field(row, key);
    if (v == nullptr) return std::nullopt;
    if (const auto* n = std::get_if<std::int64_t>(v)) return *n;
    return std::nullopt;
}

inline std::string text_field(const proto::report_row& row, std::string_view key) {
    const proto::report_value* v = field(row, key);
    if (v == nullptr) return {};
    if (const auto* s = std::get_if<std::string>(v)) return *s;
    return std::to_string(std::get<std::int64_t>(*v));
}

}  // namespace shoal::dashboard::detail
