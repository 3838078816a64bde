#include "shoal/worker/task_registry.hpp"

#include <stdexcept>

#include "shoal/proto/messages.hpp"

namespace shoal {

const task_entry* task_registry::find(std::string_view name) const {
    const auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
}

std::vector<std::string> task_registry::names() const {
    std::vector<std::string> names;
    names.reserve(entries_.size());
    for (const auto& [name, entry] : entries_) {
        names.push_back(name);
    }
    return names;
}

bool task_registry::uses(execution_place place) const noexcept {
    for (const auto& [name, entry] : entries_) {
        if (entry.place == place) return true;
    }
    return false;
}

void task_registry::check_can_define(std::string_view name) const {
    if (frozen_) {
        throw registry_frozen_error("cannot define task '" + std::string(name) +
                                    "': the worker has started (define every task before run())");
    }
    if (name.empty() || name.size() > proto::max_name_bytes) {
        throw std::invalid_argument("a task name must be 1 to " +
                                    std::to_string(proto::max_name_bytes) + " bytes long");
    }
    if (entries_.contains(name)) {
        throw duplicate_function_error("task '" + std::string(name) + "' is already defined");
    }
}

void task_registry::add(task_entry entry) {
    std::string name = entry.name;
    entries_.emplace(std::move(name), std::move(entry));
}

}  // namespace shoal
