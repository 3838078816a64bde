#pragma once
// Time limits, terminate and retries as a task running in a shoal::worker sees them
// (worker/README.md, "Time limits, stop tokens, terminate and retries"):
//   - run_on::loop: at its soft time limit the coroutine gets a cancelled_error at its next
//     co_await; is_soft_time_limit(e) tells it from a revoke or the hard limit, and the task
//     may catch it, clean up and return a value (or let it escape: the task then fails with
//     "shoal::soft_time_limit_exceeded");
//   - run_on::thread_pool and run_on::process_pool: shoal::this_task::stop_requested()
//     turns true; the task may throw shoal::soft_time_limit_exceeded, return, or go on;
//   - anywhere: throw shoal::retry_task(countdown, reason) to ask for another attempt.

#include <string_view>

#include "shoal/common/errors.hpp"
#include "shoal/common/this_task.hpp"

namespace shoal {

// The start of the message of the cancelled_error a loop task gets at its soft time limit
// (the rest names the limit: "...: the task ran past its soft time limit of 500 ms").
inline constexpr std::string_view soft_limit_cancel_message = "soft time limit exceeded";

// Whether a cancelled_error caught in a run_on::loop task comes from its soft time limit.
inline bool is_soft_time_limit(const cancelled_error& e) noexcept {
    return std::string_view(e.what()).starts_with(soft_limit_cancel_message);
}

}  // namespace shoal
