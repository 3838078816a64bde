#pragma once
// name_table: interns names (task names, queue names) as small integers, so that per-task
// records and per-worker sets carry 4 bytes instead of a string. Names are never removed:
// the table only grows with the distinct names ever seen.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace shoal::broker {

using name_id = std::uint32_t;

class name_table {
public:
    // The name's id, adding it if new.
    name_id intern(std::string_view name);
    // The name's id, or nullopt if it was never interned (lookups never grow the table).
    std::optional<name_id> find(std::string_view name) const;
    const std::string& name(name_id id) const { return names_[id]; }
    std::size_t size() const noexcept { return names_.size(); }

private:
    std::deque<std::string> names_;  // a deque: growing never moves the strings ids_ views
    std::unordered_map<std::string_view, name_id> ids_;
};

}  // namespace shoal::broker
