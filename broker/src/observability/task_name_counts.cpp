#include "task_name_counts.hpp"

namespace shoal::broker {

std::string_view to_string(task_event e) noexcept {
    switch (e) {
        case task_event::sent:
            return "sent";
        case task_event::received:
            return "received";
        case task_event::started:
            return "started";
        case task_event::succeeded:
            return "succeeded";
        case task_event::failed:
            return "failed";
        case task_event::retried:
            return "retried";
        case task_event::revoked:
            return "revoked";
        case task_event::rejected:
            return "rejected";
        case task_event::expired:
            return "expired";
        case task_event::dead_lettered:
            return "dead_lettered";
    }
    return "unknown";
}

task_name_counts::record& task_name_counts::record_named(std::string_view name) {
    if (const auto it = by_name_.find(std::string(name)); it != by_name_.end()) return it->second;
    if (by_name_.size() >= max_names_) return by_name_[std::string(other_name)];
    return by_name_[std::string(name)];
}

task_name_counts::record* task_name_counts::record_of(name_id name) {
    if (record* r = cached(name)) return r;
    if (!names_.holds(name)) return nullptr;  // not a name (a bug elsewhere): nothing to count
    record& r = record_named(names_.name(name));
    if (by_id_.size() <= name) by_id_.resize(static_cast<std::size_t>(name) + 1, nullptr);
    by_id_[name] = &r;
    return &r;
}

void task_name_counts::count_slow(name_id name, task_event e, std::uint64_t n) {
    if (record* r = record_of(name)) r->events[static_cast<std::size_t>(e)] += n;
}

void task_name_counts::count(std::string_view name, task_event e, std::uint64_t n) {
    record_named(name).events[static_cast<std::size_t>(e)] += n;
}

void task_name_counts::for_each(
    const std::function<void(const std::string&, const record&)>& fn) const {
    for (const auto& [name, c] : by_name_) fn(name, c);
}

}  // namespace shoal::broker
