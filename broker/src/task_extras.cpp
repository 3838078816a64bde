#include "task_extras.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace shoal::broker {

std::unique_ptr<task_extras> extras_from(const proto::task_options& o) {
    if (!o.time_limit_ms && !o.soft_time_limit_ms && !o.max_retries && !o.retry_delay_ms &&
        !o.retry_backoff_max_ms && !o.retry_backoff && !o.retry_jitter && o.retry_on.empty() &&
        !o.chunk.value_or(false)) {
        return nullptr;
    }
    auto x = std::make_unique<task_extras>();
    x->time_limit_ms = o.time_limit_ms;
    x->soft_time_limit_ms = o.soft_time_limit_ms;
    x->max_retries = o.max_retries;
    x->retry_delay_ms = o.retry_delay_ms.value_or(default_retry_delay_ms);
    x->retry_backoff_max_ms = o.retry_backoff_max_ms.value_or(default_retry_backoff_max_ms);
    x->retry_backoff = o.retry_backoff.value_or(false);
    x->retry_jitter = o.retry_jitter.value_or(true);
    x->retry_on = o.retry_on;
    x->chunk = o.chunk.value_or(false);
    return x;
}

namespace {

double delay_for(const task_extras& x, std::uint32_t retry_number, std::mt19937_64& random) {
    double delay_ms = static_cast<double>(x.retry_delay_ms);
    if (x.retry_backoff) {
        // 2^(n-1) without overflow: past 2^40 the cap has long been reached.
        delay_ms *=
            static_cast<double>(std::uint64_t{1} << std::min<std::uint32_t>(retry_number - 1, 40));
        delay_ms = std::min(delay_ms, static_cast<double>(x.retry_backoff_max_ms));
    }
    if (x.retry_jitter && delay_ms > 0) {
        delay_ms = std::uniform_real_distribution<double>(delay_ms / 2, delay_ms)(random);
    }
    return delay_ms / 1000.0;
}

}  // namespace

retry_decision decide_retry(const task_extras* extras, const proto::finished_task& f,
                            std::uint32_t retries_done, std::mt19937_64& random) {
    retry_decision d;
    if (f.result.status != proto::task_status::failed) return d;
    const bool self = f.result.error.type == self_retry_type;
    if (!self && (extras == nullptr || !extras->max_retries)) return d;  // retries not asked for
    const task_extras defaults;
    const task_extras& x = extras != nullptr ? *extras : defaults;
    const std::uint32_t max = x.max_retries.value_or(default_self_retries);
    if (retries_done >= max) {
        if (self) {
            d.give_up = proto::error_info{
                std::string(max_retries_exceeded_type),
                fmt::format("the task asked for a retry after {} retries (max_retries {}): {}",
                            retries_done, max, f.result.error.message),
                f.result.error.where};
        }
        return d;
    }
    if (!self && !x.retry_on.empty() &&
        std::find(x.retry_on.begin(), x.retry_on.end(), f.result.error.type) == x.retry_on.end()) {
        return d;
    }
    d.retry = true;
    d.delay_s = self && f.retry_countdown_ms ? static_cast<double>(*f.retry_countdown_ms) / 1000.0
                                             : delay_for(x, retries_done + 1, random);
    return d;
}

}  // namespace shoal::broker
