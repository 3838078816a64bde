#pragma once
// task_history: what the dashboard knows of each task, built from the event stream, bounded.
//
// At most `max_tasks` tasks are kept: past the bound the oldest finished task goes first (the
// oldest of all when none is finished), so a long-running dashboard costs fixed memory. Lists
// are pages (offset, limit), newest first, never the whole history.
//
// Ordering: a task's state is set by the event with the highest order key (the broker's clock,
// corrected across a broker restart by the model), so an event that arrives after a later one
// (a late task-started after task-succeeded) fills in its timings but does not move the state
// back. A new attempt (a retry, a dead letter run again) is a later event, and does.
//
// Not thread-safe: cluster_model guards it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shoal/dashboard/event_fields.hpp"
#include "shoal/dashboard/string_pool.hpp"
#include "shoal/proto/task_id.hpp"

namespace shoal::dashboard {

// Celery's states, plus the broker's own: retrying (waiting for its retry), dead (a dead
// letter: REQUEUE runs it again).
enum class task_state : std::uint8_t {
    sent,
    received,
    started,
    retrying,
    succeeded,
    failed,
    revoked,
    rejected,
    expired,
    dead,
};
inline constexpr std::size_t task_state_count = 10;
std::string_view to_string(task_state s) noexcept;
std::optional<task_state> parse_task_state(std::string_view text) noexcept;
// Succeeded, failed, revoked, rejected, expired, dead: nothing more happens unless asked.
bool is_finished(task_state s) noexcept;

// One run of a task on a worker (attempt numbers from 1, as the broker counts them).
struct attempt_record {
    std::uint32_t number = 0;
    pooled_string hostname = no_string;
    double received = 0;  // unix seconds; 0 when not seen
    double started = 0;
    double ended = 0;
    std::string outcome;    // running, retried, succeeded, failed, lost, revoked
    std::string exception;  // for a failed or retried run
};

struct task_record {
    proto::task_id id;
    std::uint64_t seq = 0;          // when the dashboard first heard of it: newest is largest
    std::uint64_t state_order = 0;  // the order key of the event that set `state`
    task_state state = task_state::sent;
    pooled_string name = no_string;
    pooled_string queue = no_string;
    pooled_string hostname = no_string;  // the worker of the latest attempt
    std::string client;
    double sent = 0;  // unix seconds of each step; 0 when not seen
    double received = 0;
    double started = 0;
    double finished = 0;
    std::optional<double> runtime;
    std::uint32_t attempts = 0;  // the highest attempt seen
    std::uint32_t retries = 0;
    std::uint32_t deaths = 0;
    std::optional<std::uint64_t> priority;
    std::optional<double> eta;
    std::optional<double> countdown;
    std::optional<double> expires;
    std::optional<std::string> args;  // JSON, when the event carried them (<= 1 KiB)
    std::optional<std::uint64_t> args_bytes;
    std::optional<std::string> result;  // JSON, when the event carried it (<= 1 KiB)
    std::optional<std::uint64_t> result_bytes;
    std::string exception;  // "type: message" of the last failure
    std::string exception_type;
    std::string traceback;
    std::string reason;  // revoked, rejected, expired, dead-lettered: why
    bool terminated = false;
    bool lost = false;
    std::vector<attempt_record> attempt_log;  // at most max_attempt_log, the latest kept
    std::uint32_t events = 0;                 // events applied
};

struct task_filter {
    std::vector<task_state> states;  // any of them; empty: any state
    std::optional<pooled_string> name;
    std::optional<pooled_string> worker;
    std::string id_text;  // a part of the id (hex, lower case, no dashes); empty: any
};

struct task_page {
    std::size_t total = 0;  // tasks that match the filter
    std::size_t offset = 0;
    std::vector<const task_record*> tasks;  // valid until the history changes
};

class task_history {
  public:
    static constexpr std::size_t max_attempt_log = 16;

    task_history(std::size_t max_tasks, string_pool& strings);

    // Applies a task event (type task-*) with its order key; other events are ignored.
    void apply(const event_fields& e, std::uint64_t order);

    const task_record* find(const proto::task_id& id) const;
    task_page list(const task_filter& filter, std::size_t offset, std::size_t limit) const;

    std::size_t size() const noexcept { return by_id_.size(); }
    std::size_t max_tasks() const noexcept { return max_tasks_; }
    std::uint64_t evicted() const noexcept { return evicted_; }
    std::size_t count(task_state s) const noexcept {
        return state_counts_[static_cast<std::size_t>(s)];
    }

  private:
    task_record& find_or_add(const proto::task_id& id);
    void evict_one();
    void set_state(task_record& r, task_state s, std::uint64_t order);
    attempt_record& attempt_entry(task_record& r, std::uint32_t number);
    bool matches(const task_record& r, const task_filter& f) const;

    std::size_t max_tasks_;
    string_pool& strings_;
    std::unordered_map<proto::task_id, task_record, proto::task_id_hash> by_id_;
    std::map<std::uint64_t, task_record*> by_seq_;  // every task, by seq
    std::set<std::uint64_t> finished_;              // the seqs of finished tasks
    std::array<std::size_t, task_state_count> state_counts_{};
    std::uint64_t next_seq_ = 1;
    std::uint64_t evicted_ = 0;
};

}  // namespace shoal::dashboard
