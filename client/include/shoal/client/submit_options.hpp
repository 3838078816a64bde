#pragma once
// submit_options: per-submit settings (PROTOCOL.md section 5.2), given before the task:
//
//   using namespace std::chrono_literals;
//   auto f = client.submit({.queue = "fast", .priority = 7, .time_limit = 30s}, add, 2, 3);
//
// Every field is optional. A broker refuses what it does not implement (code
// "unsupported"): the future then fails with task_refused. Values the protocol cannot carry
// (priority above 9, a negative countdown, a name longer than 255 bytes) throw
// invalid_submit_error at submit.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shoal/proto/messages.hpp"

namespace shoal {

struct submit_options {
    // Every member has an initializer, so designated initializers may leave any out.
    std::string queue{};                                   // empty: "default"
    std::optional<std::uint32_t> priority{};               // 0..9, higher runs first
    std::optional<std::chrono::milliseconds> countdown{};  // do not run before now + countdown
    std::optional<std::chrono::system_clock::time_point> eta{};      // do not run before
    std::optional<std::chrono::system_clock::time_point> expires{};  // drop if not started by
    std::optional<std::chrono::milliseconds> time_limit{};           // hard limit on one attempt
    std::optional<std::chrono::milliseconds> soft_time_limit{};      // the task is asked to stop
    // Retries (Celery's autoretry): a failed attempt runs again, at most max_retries times,
    // if its error type is in retry_on (empty: any), after retry_delay, doubled per retry
    // with retry_backoff up to retry_backoff_max, with jitter unless retry_jitter is false.
    std::optional<std::uint32_t> max_retries{};
    std::optional<std::chrono::milliseconds> retry_delay{};        // default 1 s
    std::optional<bool> retry_backoff{};                           // default false
    std::optional<std::chrono::milliseconds> retry_backoff_max{};  // default 10 min
    std::optional<bool> retry_jitter{};                            // default true
    std::vector<std::string> retry_on{};  // error type names, e.g. "std::runtime_error"
};

namespace detail {
// The wire form; throws invalid_submit_error for values the protocol cannot carry.
proto::task_options to_wire(const submit_options& options);
// The queue name to send ("default" for empty); throws invalid_submit_error if too long.
std::string queue_name(const submit_options& options);
// Throws invalid_submit_error unless 1..255 bytes.
void check_task_name(std::string_view name);
}  // namespace detail

}  // namespace shoal
