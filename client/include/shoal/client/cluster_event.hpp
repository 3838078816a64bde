#pragma once
// cluster_event: one event of the broker's event stream (PROTOCOL.md section 6.4), as a
// client that subscribed receives it (client::subscribe_events, `shoal events`). Celery's
// event names and fields: "task-sent", "task-succeeded" (runtime, result), "task-failed"
// (exception, traceback), "worker-heartbeat" (active, processed, load), ...
//
//   client.subscribe_events([](const shoal::event_batch& batch) {
//       for (const auto& e : batch.events) std::puts(e.to_json().c_str());
//   });

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoal {

struct cluster_event {
    std::string type;         // "task-sent", ..., "worker-offline"
    double timestamp = 0;     // unix seconds, when the broker saw it
    std::uint64_t clock = 0;  // the broker's event number: gaps are events not received
    std::string msgpack;      // the whole event: a msgpack map of every field

    // Parses one event map; throws shoal::error (json_conversion_error) if it is not one.
    static cluster_event from_msgpack(std::string msgpack);
    // The whole event as one JSON object (bin fields, such as args and result, decoded from
    // their msgpack when they are msgpack, else {"$bin": base64}).
    std::string to_json(int indent = -1) const;
    // A field: text, a number (ints and floats), a payload as JSON; nullopt if absent or of
    // another type.
    std::optional<std::string> text(std::string_view key) const;
    std::optional<double> number(std::string_view key) const;
    std::optional<std::string> payload_json(std::string_view key) const;
};

// What one EVENTS message brought: its events, oldest first, and how many events this
// subscription missed in all so far (dropped by the broker while this client did not read).
struct event_batch {
    std::vector<cluster_event> events;
    std::uint64_t dropped = 0;
};

using event_handler = std::function<void(const event_batch&)>;

}  // namespace shoal
