#include "shoal/broker/name_table.hpp"

namespace shoal::broker {

name_id name_table::intern(std::string_view name) {
    if (const auto it = ids_.find(name); it != ids_.end()) return it->second;
    const auto id = static_cast<name_id>(names_.size());
    const std::string& stored = names_.emplace_back(name);
    ids_.emplace(std::string_view(stored), id);
    return id;
}

std::optional<name_id> name_table::find(std::string_view name) const {
    if (const auto it = ids_.find(name); it != ids_.end()) return it->second;
    return std::nullopt;
}

}  // namespace shoal::broker
