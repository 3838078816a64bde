#pragma once
// Events as the broker tells them, for the dashboard's model tests: task(...) and worker(...)
// build event_fields directly; packed(...) builds the msgpack a cluster_event carries.

#include <cstdint>
#include <string>

#include "shoal/dashboard/event_fields.hpp"
#include "shoal/proto/task_id.hpp"

namespace dashboard_test {

using shoal::dashboard::event_fields;

// A fixed id per number: 32 hex digits ending in the number.
inline std::string id(std::uint64_t n) {
    shoal::proto::task_id t;
    for (int i = 0; i < 8; ++i) t.bytes[15 - i] = static_cast<std::uint8_t>(n >> (8 * i));
    t.bytes[0] = 0xab;
    return t.to_hex();
}

inline event_fields task(const std::string& type, std::uint64_t n, std::uint64_t clock,
                         double timestamp, const std::string& name = "add") {
    event_fields e;
    e.type = type;
    e.uuid = id(n);
    e.clock = clock;
    e.timestamp = timestamp;
    e.name = name;
    return e;
}

inline event_fields sent(std::uint64_t n, std::uint64_t clock, double t,
                         const std::string& name = "add", const std::string& queue = "default") {
    event_fields e = task("task-sent", n, clock, t, name);
    e.queue = queue;
    e.args = "[1,2]";
    return e;
}

inline event_fields on_worker(event_fields e, const std::string& host, std::uint64_t attempt) {
    e.hostname = host;
    e.attempt = attempt;
    return e;
}

inline event_fields worker(const std::string& type, const std::string& host, std::uint64_t clock,
                           double timestamp) {
    event_fields e;
    e.type = type;
    e.hostname = host;
    e.clock = clock;
    e.timestamp = timestamp;
    e.sw_ver = "shoal/0.2.0";
    e.freq = 1.0;
    e.slots = 4;
    e.active = 1;
    e.processed = 10;
    e.load = 0.25;
    return e;
}

}  // namespace dashboard_test
