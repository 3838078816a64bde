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
// which is `extern "C" void shoal_register_tasks(shoal::task_registry& registry)`.
// ABI: the library is C++ compiled against the same Shoal headers, with the same compiler,
// as the worker that loads it. It links no Shoal library itself (CMake target
// shoal::task_plugin gives the headers only): the shoal-worker executable exports the
// runtime's symbols, and the library binds to those, so that there is exactly one event loop
// machinery, one registry implementation, one of everything in the process.

#include <stdexcept>
#include <string>

#include "shoal/common/errors.hpp"
#include "shoal/worker/task_registry.hpp"

namespace shoal {

// The exported name, and its type.
inline constexpr const char* task_plugin_entry_point = "shoal_register_tasks";
using task_plugin_function = void (*)(task_registry&);

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
#define SHOAL_TASK_PLUGIN(registry_name) \
    extern "C" void shoal_register_tasks(::shoal::task_registry& registry_name)
// NOLINTEND(bugprone-macro-parentheses)
