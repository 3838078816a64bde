#include "shoal/worker/plugin.hpp"

#include <dlfcn.h>

namespace shoal {
namespace {

std::string last_dl_error() {
    const char* text = ::dlerror();
    return text != nullptr ? text : "unknown error";
}

}  // namespace

std::string task_plugin_incompatibility(const task_plugin_abi& built) {
    const auto dotted = [](std::uint32_t major, std::uint32_t minor, std::uint32_t patch) {
        return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    };
    const std::string here = dotted(version_major, version_minor, version_patch);
    if (built.size < sizeof(std::uint32_t) * 4) {
        return "its ABI record is unreadable (" + std::to_string(built.size) + " bytes)";
    }
    const std::string there = dotted(built.shoal_major, built.shoal_minor, built.shoal_patch);
    if (built.shoal_major != version_major ||
        (version_major == 0 && built.shoal_minor != version_minor)) {
        return "it was built against Shoal " + there + " and this worker is Shoal " + here +
               ": rebuild it against Shoal " + here;
    }
    if (built.size >= sizeof(task_plugin_abi) && built.cxx11_string != this_cxx11_string_abi) {
        return "it was built with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(built.cxx11_string) +
               " and this worker with " + std::to_string(this_cxx11_string_abi) +
               ": rebuild it with this worker's compiler settings";
    }
    return {};
}

void load_task_library(const std::string& path, task_registry& registry) {
    ::dlerror();  // clear
    void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        throw plugin_error("cannot load task library '" + path + "': " + last_dl_error());
    }
    // The recorded ABI first: nothing of an incompatible library is called.
    ::dlerror();
    const auto* abi = static_cast<const task_plugin_abi*>(::dlsym(library, task_plugin_abi_symbol));
    if (abi == nullptr) {
        ::dlclose(library);
        throw plugin_error("task library '" + path + "' records no Shoal ABI (" +
                           task_plugin_abi_symbol +
                           "): it was built against a Shoal older than 0.2, or without "
                           "SHOAL_TASK_PLUGIN; rebuild it against Shoal " +
                           std::string(version));
    }
    if (const std::string why = task_plugin_incompatibility(*abi); !why.empty()) {
        ::dlclose(library);
        throw plugin_error("task library '" + path + "' cannot be used: " + why);
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
