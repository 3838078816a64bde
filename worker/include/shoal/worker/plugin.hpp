#pragma once
// Task libraries: shared objects that the stock shoal-worker loads with --tasks lib.so.
//
// A task library exports one C-linkage function that defines its tasks:
//
//     #include "shoal/worker/plugin.hpp"
//     SHOAL_TASK_PLUGIN(registry) {
//         registry.define(add, [](int a, int b) { return a + b; }, shoal::run_on::thread_pool);
//     }
//
// which is `extern "C" void shoal_register_tasks(shoal::task_registry& registry)`, beside
// `extern "C" const shoal::task_plugin_abi shoal_task_plugin_abi`: the Shoal version and C++
// ABI the library was compiled for.
// ABI: the library is C++ compiled against the same Shoal headers, with the same compiler,
// as the worker that loads it. It binds to the Shoal runtime the worker already runs (CMake
// target Shoal::task_plugin), so that there is exactly one event loop machinery, one registry
// implementation, one of everything in the process. The worker checks the recorded ABI
// before it calls anything: a library built against another Shoal minor (0.x: minors break
// the ABI) or another C++ string ABI is refused with a message saying what to rebuild.

#include <cstdint>
#include <stdexcept>
#include <string>

#include "shoal/common/errors.hpp"
#include "shoal/common/version.hpp"
#include "shoal/worker/task_registry.hpp"

namespace shoal {

// The exported name, and its type.
inline constexpr const char* task_plugin_entry_point = "shoal_register_tasks";
using task_plugin_function = void (*)(task_registry&);

// What SHOAL_TASK_PLUGIN records in the library (a C struct: it must read the same in any
// Shoal). Fields are only ever appended; `size` says how many a library has.
struct task_plugin_abi {
    std::uint32_t size;         // sizeof(task_plugin_abi) where it was built
    std::uint32_t shoal_major;  // the Shoal it was compiled against
    std::uint32_t shoal_minor;
    std::uint32_t shoal_patch;
    std::uint32_t cxx11_string;  // libstdc++'s _GLIBCXX_USE_CXX11_ABI (std::string's layout)
};
inline constexpr const char* task_plugin_abi_symbol = "shoal_task_plugin_abi";
#ifdef _GLIBCXX_USE_CXX11_ABI
inline constexpr std::uint32_t this_cxx11_string_abi = _GLIBCXX_USE_CXX11_ABI;
#else
inline constexpr std::uint32_t this_cxx11_string_abi = 0;
#endif
// This Shoal's, as the worker compares it and as SHOAL_TASK_PLUGIN records it.
inline constexpr task_plugin_abi this_task_plugin_abi{
    sizeof(task_plugin_abi), version_major, version_minor, version_patch, this_cxx11_string_abi};
// Whether a library recording `built` may be loaded by this Shoal: the same major, the same
// minor while the major is 0, the same string ABI. Empty when it may; else why not.
std::string task_plugin_incompatibility(const task_plugin_abi& built);

// A library that cannot be loaded, lacks the entry point, or whose registration threw.
class plugin_error : public error {
  public:
    using error::error;
};

// dlopen()s the library (RTLD_NOW: every symbol resolved now, not at the first task), finds
// shoal_register_tasks and calls it with `registry`. The library stays loaded for the
// process's life (its code is the tasks' code). Throws plugin_error with dlerror()'s text or
// the registration's exception.
void load_task_library(const std::string& path, task_registry& registry);

}  // namespace shoal

// Defines the entry point: SHOAL_TASK_PLUGIN(registry) { registry.define(...); }
// (registry_name is a parameter's name: it cannot be parenthesised.)
// NOLINTBEGIN(bugprone-macro-parentheses)
#define SHOAL_TASK_PLUGIN(registry_name)                              \
    extern "C" const ::shoal::task_plugin_abi shoal_task_plugin_abi = \
        ::shoal::this_task_plugin_abi;                                \
    extern "C" void shoal_register_tasks(::shoal::task_registry& registry_name)
// NOLINTEND(bugprone-macro-parentheses)
