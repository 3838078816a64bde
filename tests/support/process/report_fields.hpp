#pragma once
// Reading an INSPECT report's rows in tests: a field's value as text, whatever its type.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "shoal/proto/messages.hpp"

namespace shoal::testing {

// The value of `key` in one row, as text ("" if the row has no such field).
inline std::string field(const proto::report_row& row, const std::string& key) {
    for (const auto& f : row) {
        if (f.key != key) continue;
        if (const auto* s = std::get_if<std::string>(&f.value)) return *s;
        return std::to_string(std::get<std::int64_t>(f.value));
    }
    return {};
}

// The value of `key` in every row that has it.
inline std::vector<std::string> column(const proto::report& r, const std::string& key) {
    std::vector<std::string> out;
    for (const auto& row : r.rows) {
        for (const auto& f : row) {
            if (f.key == key) out.push_back(field(row, key));
        }
    }
    return out;
}

}  // namespace shoal::testing
