#pragma once
// task_extras: the per-task options that travel with a task after it is queued (PROTOCOL.md
// section 5.2): its time limits, handed to the worker in DISPATCH, and its retry policy,
// consulted when an attempt fails. Options that act only at admission (priority, countdown,
// eta) are consumed then and not kept. Most tasks set none of these, so a queued task holds
// only a null pointer to them.
//
// Retries follow Celery's autoretry: a failed attempt runs again, at most max_retries times,
// if its error type is in retry_on (or retry_on is empty). The wait before retry n (1-based)
// is retry_delay_ms, doubled per retry with retry_backoff and capped at retry_backoff_max_ms;
// with retry_jitter (the default) it is drawn from [delay/2, delay] so that many tasks failing
// together do not come back together. A task that raises shoal::retry_task asks for its own
// retry: it runs again after its countdown (or the policy's delay), within max_retries, which
// defaults to 3 for such tasks.

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "shoal/proto/messages.hpp"

namespace shoal::broker {

// The error type a task raises to ask for its own retry, and the one a task ends with when
// it asked once too often.
inline constexpr std::string_view self_retry_type = "shoal::retry";
inline constexpr std::string_view max_retries_exceeded_type = "shoal::max_retries_exceeded";
// What a worker reports when a process-pool child died running the task.
inline constexpr std::string_view crashed_child_type = "shoal::broken_process_pool";
// What a task ends with when one of its inputs (futures as arguments) did not succeed.
inline constexpr std::string_view input_failed_type = "shoal::input_failed";
inline constexpr std::uint32_t default_self_retries = 3;
inline constexpr std::uint64_t default_retry_delay_ms = 1000;
inline constexpr std::uint64_t default_retry_backoff_max_ms = 600'000;

struct task_extras {
    std::optional<std::uint64_t> time_limit_ms;
    std::optional<std::uint64_t> soft_time_limit_ms;
    std::optional<std::uint32_t> max_retries;
    std::uint64_t retry_delay_ms = default_retry_delay_ms;
    std::uint64_t retry_backoff_max_ms = default_retry_backoff_max_ms;
    bool retry_backoff = false;
    bool retry_jitter = true;
    std::vector<std::string> retry_on;
    bool chunk = false;  // many calls in one task (PROTOCOL.md 5.2): told to the worker
};

// Null when the options set nothing that must travel with the task.
std::unique_ptr<task_extras> extras_from(const proto::task_options& o);

// What becomes of a failed attempt.
struct retry_decision {
    bool retry = false;
    double delay_s = 0;  // before the next attempt, when retry
    // When a self-retry is refused: the outcome's new error (type max_retries_exceeded).
    std::optional<proto::error_info> give_up;
};

// `retries_done` counts the retries this task has had already. Outcomes other than failed
// are never retried.
retry_decision decide_retry(const task_extras* extras, const proto::finished_task& f,
                            std::uint32_t retries_done, std::mt19937_64& random);

}  // namespace shoal::broker
