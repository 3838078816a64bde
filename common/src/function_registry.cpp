// shoal::function_registry. Lookups copy the invoker out so that no lock is held while a
// (possibly long) function runs.

#include "shoal/common/function_registry.hpp"

namespace shoal {

function_registry& function_registry::global() {
    // Never destroyed: children of a process pool and late static destructors may still look
    // functions up while other statics are being torn down.
    static auto* registry = new function_registry();
    return *registry;
}

void function_registry::define_raw(std::string name, invoker fn) {
    std::lock_guard lock(mutex_);
    if (functions_.contains(name)) {
        throw duplicate_function_error("a function named '" + name + "' is already registered");
    }
    functions_.emplace(std::move(name), std::move(fn));
}

bool function_registry::contains(std::string_view name) const {
    std::lock_guard lock(mutex_);
    return functions_.find(name) != functions_.end();
}

std::optional<function_registry::invoker> function_registry::find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    const auto it = functions_.find(name);
    if (it == functions_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::string function_registry::invoke(std::string_view name, std::string_view msgpack_args) const {
    auto fn = find(name);
    if (!fn) {
        throw unknown_function_error("no function named '" + std::string(name) + "' is registered");
    }
    return (*fn)(msgpack_args);
}

function_registry::table function_registry::snapshot() const {
    std::lock_guard lock(mutex_);
    return functions_;
}

}  // namespace shoal
