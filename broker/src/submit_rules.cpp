#include "submit_rules.hpp"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

namespace shoal::broker {

namespace {

std::uint64_t mix(std::uint64_t seed, std::uint64_t value) noexcept {
    return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

template <class T>
std::uint64_t mix_option(std::uint64_t seed, const std::optional<T>& o) noexcept {
    return mix(seed, o ? static_cast<std::uint64_t>(*o) + 1 : 0);
}

}  // namespace

std::uint64_t body_hash(const proto::submitted_task& t, std::string_view owner) {
    const std::hash<std::string_view> h;
    std::uint64_t x = h(t.name);
    x = mix(x, h(t.queue));
    x = mix(x, h(t.payload));
    x = mix(x, t.payload.size());
    const proto::task_options& o = t.options;
    x = mix_option(x, o.priority);
    x = mix_option(x, o.countdown_ms);
    x = mix_option(x, o.eta_ms);
    x = mix_option(x, o.expires_ms);
    x = mix_option(x, o.time_limit_ms);
    x = mix_option(x, o.max_retries);
    // Options added later are mixed in only when set, so that the fingerprints of tasks
    // without them (stored in Redis) stay what they were.
    if (o.soft_time_limit_ms) x = mix(x, 1'000 + *o.soft_time_limit_ms);
    if (o.retry_delay_ms) x = mix(x, 2'000 + *o.retry_delay_ms);
    if (o.retry_backoff_max_ms) x = mix(x, 3'000 + *o.retry_backoff_max_ms);
    if (o.retry_backoff) x = mix(x, 4'000 + (*o.retry_backoff ? 1 : 0));
    if (o.retry_jitter) x = mix(x, 5'000 + (*o.retry_jitter ? 1 : 0));
    for (const std::string& type : o.retry_on) x = mix(x, h(type));
    for (const proto::task_input& in : o.inputs) {
        x = mix(x, 7'000 + in.index + (in.list ? std::uint64_t{1} << 32 : 0));
        for (const proto::task_id& id : in.ids) x = mix(x, proto::task_id_hash{}(id));
    }
    if (o.chunk) x = mix(x, 8'000 + (*o.chunk ? 1 : 0));
    if (!owner.empty()) x = mix(x, 6'000 + h(owner));
    return x;
}

admission admission_of(const proto::task_options& o) {
    admission a;
    a.priority = o.priority.value_or(default_priority);
    a.countdown_ms = o.countdown_ms;
    a.eta_ms = o.eta_ms;
    a.expires_ms = o.expires_ms;
    if (!o.inputs.empty())
        a.inputs = std::make_shared<const std::vector<proto::task_input>>(o.inputs);
    return a;
}

bool bad_name(const std::string& s) { return s.empty() || s.size() > proto::max_name_bytes; }

proto::refusal refuse(const proto::task_id& id, const char* code, std::string message) {
    return proto::refusal{id, proto::error_info{code, std::move(message), "broker"}};
}

proto::refusal unavailable(const proto::task_id& id, const std::string& why) {
    return refuse(id, "unavailable",
                  fmt::format("the broker cannot store tasks right now ({}); nothing was "
                              "accepted: submit again later",
                              why));
}

queued_task queued_from(const proto::submitted_task& t, std::uint32_t attempt) {
    queued_task q;
    q.id = t.id;
    q.attempt = attempt;
    q.extras = extras_from(t.options);
    return q;
}

std::uint32_t charge_of(const proto::submitted_task& t) {
    return static_cast<std::uint32_t>(
        std::min<std::uint64_t>(UINT32_MAX, task_overhead_bytes + t.payload.size() + t.name.size() +
                                                t.queue.size() + input_bytes(t.options.inputs)));
}

std::uint64_t input_bytes(const std::vector<proto::task_input>& inputs) {
    std::uint64_t bytes = 0;
    for (const proto::task_input& in : inputs) bytes += 8 + in.ids.size() * sizeof(proto::task_id);
    return bytes;
}

}  // namespace shoal::broker
