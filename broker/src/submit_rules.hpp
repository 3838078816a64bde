#pragma once
// What a SUBMIT's task must satisfy to be accepted, and its fingerprint (idempotence).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shoal/proto/messages.hpp"
#include "task_queues.hpp"

namespace shoal::broker {

// A fingerprint of everything a SUBMIT says about a task but its id: the same id with the
// same fingerprint is the same task sent again (idempotent), with another one a conflict.
// Stored in Redis with the task, so it must not change between runs: it is built on
// libstdc++'s std::hash of bytes, which is a fixed-seed Murmur hash.
// With an owner (the submitting key's User-Id, on a broker with keys) the owner is mixed in:
// another key sending the same id is a conflict, never a duplicate that would share the
// result. Without one it is the fingerprint an open broker always stored.
std::uint64_t body_hash(const proto::submitted_task& t, std::string_view owner = {});

// What acts when a task is queued (and is not kept with it): its lane's priority, when it
// may start, and when it may no longer start.
struct admission {
    std::uint32_t priority = default_priority;
    std::optional<std::uint64_t> countdown_ms;
    std::optional<std::uint64_t> eta_ms;      // unix epoch milliseconds
    std::optional<std::uint64_t> expires_ms;  // unix epoch milliseconds
    // Arguments that are other tasks' results (task_inputs.hpp): it waits for them first.
    // Shared: an admission is copied as the task moves along, its inputs need not be.
    std::shared_ptr<const std::vector<proto::task_input>> inputs;
};
admission admission_of(const proto::task_options& o);

// A name or queue must be 1..255 bytes.
bool bad_name(const std::string& s);

proto::refusal refuse(const proto::task_id& id, const char* code, std::string message);
// With Redis, a task that could not be stored (retryable as is: nothing was stored).
proto::refusal unavailable(const proto::task_id& id, const std::string& why);

// The queue record of a submitted task (its time limits and retry policy into extras; its
// payload stays with the caller, for the store's entry); seq is set on enqueue.
queued_task queued_from(const proto::submitted_task& t, std::uint32_t attempt = 1);

// What a pending task costs the broker, for the queued-bytes budget: its bytes, plus the
// records and index entries that carry it (measured: about 200 bytes a task, bench/README).
inline constexpr std::uint64_t task_overhead_bytes = 256;
std::uint32_t charge_of(const proto::submitted_task& t);
// What the list of inputs takes while the task waits for them.
std::uint64_t input_bytes(const std::vector<proto::task_input>& inputs);

}  // namespace shoal::broker
