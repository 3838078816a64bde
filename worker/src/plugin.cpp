#include "shoal/worker/plugin.hpp"

#include <dlfcn.h>

namespace shoal {
namespace {

std::string last_dl_error() {
    const char* text = ::dlerror();
    return text != nullptr ? text : "unknown error";
}

}  // namespace

void load_task_library(const std::string& path, task_registry& registry) {
    ::dlerror();  // clear
    void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        throw plugin_error("cannot load task library '" + path + "': " + last_dl_error());
    }
    ::dlerror();
    void* symbol = ::dlsym(library, task_plugin_entry_point);
    if (symbol == nullptr) {
        const std::string why = last_dl_error();
        ::dlclose(library);
        throw plugin_error("task library '" + path + "' has no " + task_plugin_entry_point +
                           " function (define it with SHOAL_TASK_PLUGIN): " + why);
    }
    // POSIX guarantees a data pointer from dlsym converts to the function it names.
    const auto register_tasks = reinterpret_cast<task_plugin_function>(symbol);
    try {
        register_tasks(registry);
    } catch (const std::exception& e) {
        throw plugin_error("task library '" + path + "' failed to register its tasks: " + e.what());
    }
    // Never dlclose'd: the registry now holds the library's functions.
}

}  // namespace shoal
