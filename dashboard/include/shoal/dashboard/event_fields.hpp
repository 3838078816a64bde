#pragma once
// event_fields: one event of the broker's stream (client/include/shoal/client/cluster_event.hpp)
// read once into plain fields, so that the model never unpacks an event twice. Celery's names
// (PROTOCOL.md 6.4): task-sent ... task-dead-lettered, worker-online/heartbeat/offline.

#include <cstdint>
#include <optional>
#include <string>

#include "shoal/client/cluster_event.hpp"

namespace shoal::dashboard {

struct event_fields {
    std::string type;         // "task-sent", ..., "worker-offline"
    double timestamp = 0;     // unix seconds, when the broker saw it
    std::uint64_t clock = 0;  // the broker's event number; 0: none given
    std::string uuid;         // task events: the id, 32 hex digits
    std::string name;         // task name
    std::string queue;        // task-sent
    std::string hostname;     // the worker
    std::string client;       // task-sent: the submitting client's name
    std::string exception;    // "type: message"
    std::string exception_type;
    std::string traceback;
    std::string reason;
    std::string message;   // task-rejected
    std::string sw_ident;  // worker events
    std::string sw_ver;
    std::optional<std::string> args;            // task-sent: the arguments as JSON
    std::optional<std::string> result;          // task-succeeded: the result as JSON
    std::optional<std::uint64_t> args_bytes;    // set instead of args past 1 KiB
    std::optional<std::uint64_t> result_bytes;  // set instead of result past 1 KiB
    std::optional<double> runtime;
    std::optional<double> eta;
    std::optional<double> countdown;
    std::optional<double> expires;
    std::optional<double> load;
    std::optional<double> freq;
    std::optional<std::uint64_t> attempt;
    std::optional<std::uint64_t> retries;
    std::optional<std::uint64_t> priority;
    std::optional<std::uint64_t> deaths;
    std::optional<std::uint64_t> active;
    std::optional<std::uint64_t> processed;
    std::optional<std::uint64_t> slots;
    bool terminated = false;
    bool expired = false;
    bool lost = false;
};

// The fields of one event; nullopt when its bytes are not a msgpack map. Unknown keys are
// ignored; a known key of another type is left unset.
std::optional<event_fields> decode_event(const cluster_event& event);

}  // namespace shoal::dashboard
