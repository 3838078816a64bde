#pragma once
// The body of a process pool child: a blocking loop that serves calls read from its socket.

#include "shoal/common/function_registry.hpp"

namespace shoal::detail {

// Runs in a freshly forked child. Sends the ready frame, then serves one call at a time until
// a stop request, EOF or a broken socket, and ends the process with _exit (no atexit
// handlers or static destructors: they belong to the parent's copy of the program).
// Every exception a function throws is reported to the parent, never propagated.
[[noreturn]] void run_pool_child(int fd, const function_registry::table& functions);

}  // namespace shoal::detail
