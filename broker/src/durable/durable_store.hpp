#pragma once
// durable_store: the broker's tasks and results in Redis (broker/README.md, "Redis").
//
// Keys:
//   shoal:tasks             hash: task id (hex) -> task record, from acceptance to its end
//   shoal:leases            hash: task id (hex) -> "attempt" or "attempt,deaths,retries": the
//                           attempt a worker was last given, and what it cost so far
//   shoal:held              hash: task id (hex) -> unix ms: held by the broker until then
//                           (countdown, eta, the wait before a retry)
//   shoal:dead              hash: task id (hex) -> dead letter: "deaths,unix ms,reason"
//   shoal:result:<id hex>   string: result record, with the result TTL (a relative PX)
//   shoal:seen:<id hex>     string: the record header of a finished task, for the dedup window,
//                           written only when that window is longer than the result TTL
//   shoal:periodic          hash: periodic task name -> its record (schedule/periodic_table.hpp):
//                           the definition and the last slot fired
//
// A task is written (the submit script) before its SUBMIT is acknowledged; its lease, hold
// and dead-letter state are written as they change (staged, one pipeline per wake-up); a
// result is stored with SET NX (the first terminal write wins, a second value is never
// stored) in the same pipeline that deletes the task and its state. A broker that starts
// again reads it all back (recover): what has no result runs again, what was held waits for
// its wall-clock time, what was dead-lettered stays a dead letter with its count and reason.
//
// Writes go out as pipelines through redis_connection, so one wake-up of the broker costs
// one round trip whatever it wrote. Results and task state that could not be written (Redis
// down) are kept and written once Redis is back (state by id: only the latest per task);
// tasks that could not be written are refused by the broker (the client may retry).
//
// Thread-safety: none; the broker's loop thread only.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "durable/durable_records.hpp"
#include "durable/fenced_writes.hpp"
#include "redis/redis_connection.hpp"
#include "redis/redis_sync.hpp"
#include "redis/redis_url.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/proto/task_id.hpp"

namespace shoal::broker {

struct durable_options {
    redis_endpoint endpoint;
    std::uint64_t result_ttl_s = 86'400;    // how long Redis keeps a result
    std::uint64_t dedup_window_s = 86'400;  // how long a finished task's id is recognised
    double timeout_s = 2.0;                 // every Redis call
    // Set (an active broker among several: ha/broker_lease.hpp): every write is made only
    // while the lease still holds this broker's token; unset, each connection sets its own
    // fence (shoal:fence) that only the submit script checks.
    std::optional<write_fence> fence;
    // Replicas that must have a write before it counts (Redis's WAIT after each task write
    // and each result write; 0: the primary's answer is enough), and how long WAIT may block.
    // A task the replicas did not confirm is refused (not_stored) and undone; a result is
    // written again until they do.
    std::uint32_t wait_replicas = 0;
    std::uint32_t wait_timeout_ms = 1000;
};

// What a task had been through when the broker stopped (shoal:leases).
struct task_progress {
    std::uint32_t attempt = 0;  // the attempt last dispatched; 0 if never
    std::uint16_t deaths = 0;   // attempts that ended with their worker's death
    std::uint16_t retries = 0;  // failed attempts run again by its policy
};

struct dead_record {
    std::uint16_t deaths = 0;
    std::uint64_t at_ms = 0;  // unix ms it was set aside
    std::string reason;
};

// A task found in Redis at startup, to run again (or to keep aside).
struct recovered_task {
    task_record record;
    task_progress progress;
    std::optional<std::uint64_t> held_until_ms;  // unix ms: not before then
    std::optional<dead_record> dead;             // a dead letter: not run, listed
};

// The lease value and the dead-letter value, as stored.
std::string encode_progress(const task_progress& p);
task_progress decode_progress(std::string_view text);
std::string encode_dead(const dead_record& d);
std::optional<dead_record> decode_dead(std::string_view text);

struct recovery {
    std::vector<recovered_task> tasks;  // in submission order
    std::size_t finished = 0;           // tasks whose result was stored but not their cleanup
    std::size_t unreadable = 0;         // records left alone because they do not decode
    std::vector<std::string> warnings;  // durability_warnings
    // The stored results of tasks that recovered tasks name as inputs (futures as arguments)
    // and that are not pending themselves: they finished before the restart.
    std::unordered_map<proto::task_id, result_record, proto::task_id_hash> input_results;
    // shoal:periodic: (name, record) of every periodic task, as stored.
    std::vector<std::pair<std::string, std::string>> periodic;
};

// What Redis says of one task the submit script was given.
struct submit_answer {
    // expired: it ran and its result is gone, but the dedup window remembers it.
    enum class kind { stored, pending, conflict, finished, expired, not_stored };
    kind verdict = kind::stored;
    std::optional<proto::outcome> outcome;  // finished: the stored result
    std::string failure;                    // not_stored: why
};

class durable_store {
  public:
    durable_store(event_loop& loop, durable_options options);

    // At startup, blocking: connects (throws redis_error with a clear message if it cannot),
    // checks Redis's settings and reads back every unfinished task.
    recovery open();
    // Starts the non-blocking connection serving uses.
    void start();
    void stop();
    bool is_up() const noexcept { return connection_.is_up(); }
    redis_connection& connection() noexcept { return connection_; }

    // ---- tasks: each written unless its id has a stored task or result already
    using submit_callback = std::function<void(std::vector<submit_answer>& answers)>;
    // Records stay in the order given; one answer each, in that order (not_stored for those
    // whose write failed). False, and no call, when Redis is not up.
    bool write_tasks(const std::vector<std::pair<proto::task_id, std::string>>& records,
                     submit_callback done);

    // Tasks whose write failed without an answer (the connection dropped or timed out after
    // sending): they may be stored although they were refused. Deleted from Redis before the
    // next write, once Redis is back.
    void forget_tasks(const std::vector<proto::task_id>& ids);

    // ---- a task's state as it changes: kept until Redis has it, the latest per task
    void stage_lease(const proto::task_id& id, const task_progress& progress);
    void stage_hold(const proto::task_id& id, std::uint64_t until_ms);
    void stage_release(const proto::task_id& id);  // no longer held
    void stage_dead(const proto::task_id& id, const dead_record& dead);
    void stage_undead(const proto::task_id& id);  // requeued
    // A periodic task's record (nullopt: removed), the latest per name.
    void stage_periodic(const std::string& name, std::optional<std::string> record);
    std::size_t unwritten_state() const noexcept;

    // ---- results: kept until Redis confirms them; on_results_stored tells which
    void stage_result(const proto::task_id& id, std::string record);
    std::function<void(const std::vector<proto::task_id>& ids)> on_results_stored;
    // Redis is up (again), after the store flushed what it kept.
    std::function<void()> on_up;
    // With a fence: a write was refused because the lease is no longer ours (from the loop;
    // what was refused stays unwritten, and the broker must stop serving).
    std::function<void()> on_fenced;
    std::size_t unwritten_results() const noexcept {
        return staged_results_.size() + sending_results_;
    }
    // Connected, with nothing staged and nothing sent that Redis has not answered yet.
    bool idle() const noexcept {
        return connection_.is_up() && connection_.in_flight() == 0 && unwritten_state() == 0 &&
               unwritten_results() == 0 && forgotten_.empty();
    }

    // Sends what was staged (leases, results) as one pipeline. Called once per wake-up.
    void flush();

    // ---- fetch: stored results by id, with their owners (nullopt: none stored)
    using fetch_callback =
        std::function<void(bool answered, std::vector<std::optional<result_record>>& results)>;
    bool fetch_results(const std::vector<proto::task_id>& ids, fetch_callback done);

    // The result TTL in milliseconds (SET's PX: relative, so a stepped wall clock changes
    // nothing).
    std::uint64_t result_ttl_ms() const noexcept { return options_.result_ttl_s * 1000; }

  private:
    struct staged_result {
        proto::task_id id;
        std::string record;
    };

    event_loop& loop_;
    durable_options options_;
    redis_connection connection_;
    void flush_forgotten();
    void read_input_results(redis_sync& redis, recovery& out) const;
    void flush_state();
    template <class Fields>
    void flush_hash(const char* key, Fields& fields);
    void flush_results();
    // Sends a write; with a fence, a refusal is told to on_fenced before done sees it.
    // With replicated: followed by WAIT (wait_replicas), and a write the replicas did not all
    // confirm in time is told to done as not delivered.
    bool send_write(write_batch& batch, redis_connection::batch_callback done,
                    bool replicated = false);
    // WAIT wait_replicas wait_timeout_ms, when wait_replicas is set.
    void add_wait(redis_pipeline& p) const;
    // Why a pipeline that ends with add_wait's WAIT does not count (empty: it does).
    std::string short_of_replicas(const redis_batch_result& r) const;

    // Task state by hash (leases, held, dead): id -> value to set, or nullopt to delete.
    using staged_fields =
        std::unordered_map<proto::task_id, std::optional<std::string>, proto::task_id_hash>;
    struct staged_hash {
        const char* key;
        staged_fields fields;
    };

    std::vector<proto::task_id> forgotten_;
    std::array<staged_hash, 3> state_;                                      // leases, held, dead
    std::unordered_map<std::string, std::optional<std::string>> periodic_;  // by name
    std::deque<staged_result> staged_results_;
    std::size_t sending_results_ = 0;  // in pipelines not answered yet
    std::string fence_key_;            // what the submit script checks: shoal:fence, or the lease
    std::string fence_;                // the token it must hold (see submit_script)
    double results_held_until_ = 0;    // after a failed write: not before this time
    timer_handle retry_timer_;
};

// The Redis keys, for tools and tests.
inline constexpr const char* tasks_key = "shoal:tasks";
inline constexpr const char* leases_key = "shoal:leases";
inline constexpr const char* held_key = "shoal:held";
inline constexpr const char* dead_key = "shoal:dead";
inline constexpr const char* periodic_key = "shoal:periodic";
std::string result_key(const proto::task_id& id);
std::string seen_key(const proto::task_id& id);

}  // namespace shoal::broker
