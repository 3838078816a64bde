#pragma once
// The blocking waits of the concurrent API (result, exception, wait, as_completed) refuse to
// block a thread that runs an event loop: that would stall every task, timer and socket of
// the loop (a worker's heartbeats included) until the future settles, and deadlock outright if
// only the loop could settle it. They throw event_loop_error at once instead, naming the way
// out, as asyncio raises RuntimeError for run_until_complete inside a running loop. A wait
// that cannot block (the future is done, or the deadline has passed: a poll) is allowed.

#include "shoal/common/detail/deadline.hpp"

namespace shoal::concurrent::detail {

// Throws event_loop_error when the calling thread runs an event loop and `until` is not in
// the past. Call only when the wait would otherwise block. `what` names the call.
void refuse_blocking_in_loop(const deadline& until, const char* what);

}  // namespace shoal::concurrent::detail
