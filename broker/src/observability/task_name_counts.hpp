#pragma once
// task_name_counts: what happened to the tasks of each name, since the broker started (the
// per-name counters of /metrics, in celery-exporter's vocabulary: sent, received, started,
// succeeded, failed, retried, revoked, rejected, expired, dead-lettered).
//
// Counted by name, not by name id: the broker gives a reclaimed id to the next new name, and
// a counter must never move from one name to another. The hot path (a count by id) goes
// through a cache of id -> counters, emptied whenever ids may have been reclaimed. Names are
// bounded: past max_names, new names count under "_other", so that a client inventing names
// cannot grow the broker or the scrape without bound.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "duration_histogram.hpp"
#include "name_table.hpp"

namespace shoal::broker {

enum class task_event : std::uint8_t {
    sent,           // accepted as a new task
    received,       // dispatched to a worker (each attempt)
    started,        // the worker began it (STARTED)
    succeeded,      // ended ok
    failed,         // ended failed (its error), after any retries
    retried,        // a failed attempt that runs again
    revoked,        // ended by REVOKE or PURGE
    rejected,       // refused at SUBMIT (bad task, busy, unavailable, no worker offers it)
    expired,        // its expiry passed before it started
    dead_lettered,  // set aside after killing max_attempts workers
};
inline constexpr std::size_t task_event_count = 10;
// The metric's name part: "sent", ..., "dead_lettered".
std::string_view to_string(task_event e) noexcept;

class task_name_counts {
  public:
    using counts = std::array<std::uint64_t, task_event_count>;
    // Everything kept per name: the counts, and how long its tasks ran (the worker's DONE
    // runtime) and waited in their queue (from joining it to being dispatched).
    struct record {
        counts events{};
        duration_histogram runtime;
        duration_histogram queue_wait;
    };
    static constexpr std::size_t default_max_names = 1000;
    static constexpr std::string_view other_name = "_other";

    explicit task_name_counts(const name_table& names, std::size_t max_names = default_max_names)
        : names_(names), max_names_(max_names) {}

    void count(name_id name, task_event e, std::uint64_t n = 1) {
        if (record* r = cached(name)) {
            r->events[static_cast<std::size_t>(e)] += n;
            return;
        }
        count_slow(name, e, n);
    }
    void observe_runtime(name_id name, double seconds) {
        if (record* r = record_of(name)) r->runtime.observe(seconds);
    }
    void observe_queue_wait(name_id name, double seconds) {
        if (record* r = record_of(name)) r->queue_wait.observe(seconds);
    }
    // For a name that may not be interned (a refused task's).
    void count(std::string_view name, task_event e, std::uint64_t n = 1);
    // Names were reclaimed: an id may now stand for another name.
    void forget_ids() { by_id_.clear(); }

    // Every name counted, with its counts (unordered).
    void for_each(const std::function<void(const std::string&, const record&)>& fn) const;
    std::size_t names() const noexcept { return by_name_.size(); }

  private:
    record* cached(name_id name) noexcept { return name < by_id_.size() ? by_id_[name] : nullptr; }
    // The record of an interned name (cached by id), or nullptr for an id that is no name.
    record* record_of(name_id name);
    void count_slow(name_id name, task_event e, std::uint64_t n);
    record& record_named(std::string_view name);

    const name_table& names_;
    std::size_t max_names_;
    std::unordered_map<std::string, record> by_name_;  // node-based: pointers stay valid
    std::vector<record*> by_id_;
};

}  // namespace shoal::broker
