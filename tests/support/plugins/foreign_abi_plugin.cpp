// A task library as another Shoal would build it: compiled with FOREIGN_ABI_MINOR_OFFSET
// added to this Shoal's minor, or (NO_ABI_RECORD) with no ABI record at all, as a Shoal
// before 0.2 built them. The worker must refuse it before calling anything: registering
// aborts, so a worker that called it would die of SIGABRT instead of exiting 2.
#include <cstdlib>

#include "shoal/worker/plugin.hpp"

#ifndef NO_ABI_RECORD
extern "C" const shoal::task_plugin_abi shoal_task_plugin_abi{
    sizeof(shoal::task_plugin_abi), shoal::version_major,
    shoal::version_minor + FOREIGN_ABI_MINOR_OFFSET, 0, shoal::this_cxx11_string_abi};
#endif

extern "C" void shoal_register_tasks(shoal::task_registry&) { std::abort(); }
