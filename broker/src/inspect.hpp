#pragma once
// inspect: the REPORT rows for INSPECT (PROTOCOL.md sections 4 and 5). Each row is a flat map
// of str -> int | str:
//
//   workers: name, identity (hex), slots, prefetch, credit (tasks it may be sent now), held
//            (tasks it holds), done, late (its DONEs ignored as late or revoked), tasks (the
//            names it offers, comma-separated), last_heard_ms (ms since its last message),
//            draining (1 after its DRAIN), unacked_bytes (its output window in use),
//            queues (the queues it consumes, comma-separated)
//   queues:  name, length (tasks waiting; tasks held by workers are in `active`), consumers
//            (how many workers consume it), workers (their names, comma-separated, sorted);
//            a row for every queue holding tasks or consumed by a worker, by name
//   active:  task (hex id), name, queue, worker (name), worker_identity (hex), attempt,
//            revoked (1 if revoked while running, its CANCEL sent), started (1 once the
//            worker said it began: only then does its death count against the task)
//   dead:    task (hex id), name, queue, priority, attempts, deaths, reason, age_s (dead
//            letters, oldest first)
//   held:    task (hex id), name, queue, attempt, due_in_ms, due_unix_ms (tasks the broker
//            holds for a countdown, an eta or a retry's wait, in no order); then task, name,
//            queue, inputs_missing (tasks waiting for their inputs' results)
//   scheduled: the periodic tasks, soonest first: kind (periodic), periodic (its name), name
//            (the task), queue, schedule, zone, missed, paused, next_unix_ms, next_in_ms (not
//            when paused), last_unix_ms (the last slot fired), runs, skipped, from_config; then
//            the tasks held for a time, as `held` with kind (held)
//   limits:  name, per_second (the rate limits, per task name)
//   stats:   one row: every broker_stats counter, plus the gauges peers, workers, clients,
//            queued, held (waiting for a countdown, eta or retry; one revoked or expired
//            meanwhile is counted until its time comes), waiting_for_inputs, active, dead, results
//            (stored, done), pending, tombstones, lanes, task_names and queue_names (in
//            use: empty ones are freed every 10 s), tombstones_forgotten_early, redis (off,
//            up, connecting, down), results_unwritten (waiting for Redis), and the budgets:
//            queued_bytes / max_queued_bytes, result_bytes / max_result_bytes,
//            window_bytes and unacked_bytes_max (the fullest peer's window)
//
// `dead`, `held`, `limits` and `stats` are this broker's additions to SHOAL/1's three. At most
// max_rows rows are returned (a receiver's decoder accepts no more elements than that in one
// array).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dead_letters.hpp"
#include "delayed_tasks.hpp"
#include "inflight_table.hpp"
#include "peer_table.hpp"
#include "rate_limits.hpp"
#include "result_store.hpp"
#include "shoal/broker/broker_stats.hpp"
#include "shoal/proto/messages.hpp"
#include "task_inputs.hpp"
#include "task_queues.hpp"

namespace shoal::broker {

// At most this many rows in one REPORT: a receiver's decoder takes no longer array.
inline constexpr std::size_t report_max_rows = 10'000;

struct inspect_sources {
    const peer_table& peers;
    const task_queues& queues;
    const inflight_table& inflight;
    const result_store& store;
    const broker_stats& stats;
    const dead_letters& dead;
    const rate_limits& rates;
    std::size_t held = 0;                    // tasks waiting in the broker for their time
    const delayed_tasks* delayed = nullptr;  // those tasks, for `held`
    std::uint64_t wall_ms = 0;               // unix ms now, for `held`
    const task_inputs* waiting = nullptr;    // tasks waiting for their inputs
    double now = 0;                          // loop time, for last_heard_ms
    std::size_t max_rows = report_max_rows;
    std::string_view redis_state = "off";  // off (memory only), up, connecting, down
    std::string_view security = "open";    // open (no key) or curve
    std::uint64_t results_unwritten = 0;   // results waiting for Redis
    struct budget_limits {
        std::uint64_t max_queued_bytes = 0;
        std::uint64_t max_result_bytes = 0;
        std::uint64_t window_bytes = 0;
    } budgets{};
    std::uint64_t unacked_bytes_max = 0;  // the most any peer has not acknowledged yet
    // `brokers`: this broker, its role and its lease (ha/active_standby.cpp).
    struct broker_role {
        std::string name;
        std::string endpoint;
        std::string_view role = "alone";  // alone (no lease), active, standby
        std::string lease_token;          // "EPOCH:NAME" while active
        std::uint32_t lease_ms = 0;
    } self{};
    // `brokers`: the standbys the active heard of within three lease times (broker_presence).
    struct other_broker {
        std::string name;
        std::string endpoint;
        std::uint64_t seen_ms_ago = 0;
    };
    std::vector<other_broker> standbys{};
};

// The report for `what`, or nullopt if `what` is not one of workers, queues, active, dead,
// held, scheduled, limits, stats, brokers.
std::optional<proto::report> build_report(std::string_view what, const inspect_sources& from);

// Lowercase hex of raw bytes (routing identities).
std::string to_hex(std::string_view bytes);

}  // namespace shoal::broker
