#include "shoal/client/submit_options.hpp"

#include <string>

#include "shoal/client/errors.hpp"

namespace shoal::detail {

namespace {

std::uint64_t epoch_millis(std::chrono::system_clock::time_point t, const char* what) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    if (ms < 0) throw invalid_submit_error(std::string(what) + " lies before 1970");
    return static_cast<std::uint64_t>(ms);
}

std::uint64_t non_negative_millis(std::chrono::milliseconds d, const char* what) {
    if (d.count() < 0) throw invalid_submit_error(std::string(what) + " must not be negative");
    return static_cast<std::uint64_t>(d.count());
}

}  // namespace

proto::task_options to_wire(const submit_options& o) {
    proto::task_options w;
    if (o.priority) {
        if (*o.priority > 9) {
            throw invalid_submit_error("priority must be 0..9, not " + std::to_string(*o.priority));
        }
        w.priority = o.priority;
    }
    if (o.countdown) w.countdown_ms = non_negative_millis(*o.countdown, "countdown");
    if (o.eta) w.eta_ms = epoch_millis(*o.eta, "eta");
    if (o.expires) w.expires_ms = epoch_millis(*o.expires, "expires");
    if (o.time_limit) {
        if (o.time_limit->count() <= 0) throw invalid_submit_error("time_limit must be positive");
        w.time_limit_ms = static_cast<std::uint64_t>(o.time_limit->count());
    }
    if (o.soft_time_limit) {
        if (o.soft_time_limit->count() <= 0)
            throw invalid_submit_error("soft_time_limit must be positive");
        w.soft_time_limit_ms = static_cast<std::uint64_t>(o.soft_time_limit->count());
    }
    w.max_retries = o.max_retries;
    if (o.retry_delay) w.retry_delay_ms = non_negative_millis(*o.retry_delay, "retry_delay");
    if (o.retry_backoff_max) {
        w.retry_backoff_max_ms = non_negative_millis(*o.retry_backoff_max, "retry_backoff_max");
    }
    w.retry_backoff = o.retry_backoff;
    w.retry_jitter = o.retry_jitter;
    if (o.retry_on.size() > proto::max_retry_on) {
        throw invalid_submit_error("retry_on names more than 32 error types");
    }
    for (const std::string& type : o.retry_on) {
        if (type.empty() || type.size() > proto::max_name_bytes) {
            throw invalid_submit_error("retry_on: an error type name must be 1..255 bytes");
        }
    }
    w.retry_on = o.retry_on;
    return w;
}

std::string queue_name(const submit_options& o) {
    if (o.queue.empty()) return std::string(proto::default_queue);
    if (o.queue.size() > proto::max_name_bytes) {
        throw invalid_submit_error("queue name longer than " +
                                   std::to_string(proto::max_name_bytes) + " bytes");
    }
    return o.queue;
}

void check_task_name(std::string_view name) {
    if (name.empty()) throw invalid_submit_error("task name is empty");
    if (name.size() > proto::max_name_bytes) {
        throw invalid_submit_error("task name longer than " +
                                   std::to_string(proto::max_name_bytes) + " bytes");
    }
}

}  // namespace shoal::detail
