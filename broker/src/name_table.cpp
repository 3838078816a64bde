#include "name_table.hpp"

namespace shoal::broker {

name_id name_table::intern(std::string_view name) {
    if (const auto it = ids_.find(name); it != ids_.end()) return it->second;
    name_id id = 0;
    if (!free_.empty()) {
        id = free_.back();
        free_.pop_back();
        names_[id].assign(name);
        in_use_[id] = true;
    } else {
        id = static_cast<name_id>(names_.size());
        names_.emplace_back(name);
        in_use_.push_back(true);
    }
    ids_.emplace(std::string_view(names_[id]), id);
    return id;
}

std::optional<name_id> name_table::find(std::string_view name) const {
    if (const auto it = ids_.find(name); it != ids_.end()) return it->second;
    return std::nullopt;
}

void name_table::release(name_id id) {
    if (!holds(id)) return;
    ids_.erase(std::string_view(names_[id]));  // before the string its key views changes
    std::string().swap(names_[id]);
    in_use_[id] = false;
    free_.push_back(id);
}

}  // namespace shoal::broker
