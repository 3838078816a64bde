#include "task_routes.hpp"

#include <fmt/format.h>

#include "shoal/broker/broker_config.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::broker {

namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

task_routes::task_routes(std::string_view spec) {
    while (!spec.empty()) {
        const auto comma = spec.find(',');
        const std::string_view one = trimmed(spec.substr(0, comma));
        if (!one.empty()) {
            const auto bad = [&](const char* why) {
                return config_error(
                    fmt::format("task route '{}': {} (write NAME=QUEUE)", one, why));
            };
            const auto eq = one.find('=');
            if (eq == std::string_view::npos) throw bad("no '='");
            const std::string_view name = trimmed(one.substr(0, eq));
            const std::string_view queue = trimmed(one.substr(eq + 1));
            if (name.empty() || name.size() > proto::max_name_bytes)
                throw bad("the task name must be 1..255 bytes");
            if (queue.empty() || queue.size() > proto::max_name_bytes)
                throw bad("the queue must be 1..255 bytes");
            if (!by_name_.emplace(std::string(name), std::string(queue)).second) {
                throw bad("this task name is routed twice");
            }
        }
        if (comma == std::string_view::npos) break;
        spec.remove_prefix(comma + 1);
    }
}

std::string_view task_routes::queue_for(std::string_view name, std::string_view queue) const {
    if (queue != proto::default_queue) return queue;  // named in the submit: it wins
    const auto it = by_name_.find(name);
    return it != by_name_.end() ? std::string_view(it->second) : queue;
}

}  // namespace shoal::broker
