#pragma once
// this_task in a process-pool child: a stop request arrives as a signal (see this_task.hpp).
// The child is single-threaded, so one process-wide state serves.

#include <csignal>

namespace shoal::detail::this_task_child {

// The signal a pool sends a child at a call's soft time limit.
inline constexpr int stop_signal = SIGUSR1;

// In the child, before its ready frame: installs the handler and unblocks the signal, and
// makes this_task's functions read the child's state from then on.
void install() noexcept;
// Before each call: clears the flag and starts a fresh stop state for the call.
void begin_call() noexcept;

}  // namespace shoal::detail::this_task_child
