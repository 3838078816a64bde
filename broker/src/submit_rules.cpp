#include "submit_rules.hpp"

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

std::uint64_t body_hash(const proto::submitted_task& t) {
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
    return x;
}

std::string unsupported_options(const proto::task_options& o) {
    std::string names;
    const auto note = [&](bool set, const char* name) {
        if (!set) return;
        if (!names.empty()) names += ", ";
        names += name;
    };
    note(o.priority.has_value(), "priority");
    note(o.countdown_ms.has_value(), "countdown_ms");
    note(o.eta_ms.has_value(), "eta_ms");
    note(o.expires_ms.has_value(), "expires_ms");
    note(o.max_retries.has_value(), "max_retries");
    return names;
}

bool bad_name(const std::string& s) { return s.empty() || s.size() > proto::max_name_bytes; }

proto::refusal refuse(const proto::task_id& id, const char* code, std::string message) {
    return proto::refusal{id, proto::error_info{code, std::move(message), "broker"}};
}

queued_task queued_from(proto::submitted_task& t, std::uint32_t attempt) {
    queued_task q;
    q.id = t.id;
    q.attempt = attempt;
    if (t.options.time_limit_ms) q.time_limit_ms = *t.options.time_limit_ms;
    q.payload = std::move(t.payload);
    return q;
}

}  // namespace shoal::broker
