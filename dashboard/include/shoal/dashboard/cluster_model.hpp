#pragma once
// cluster_model: everything the dashboard shows, under one mutex. The client's I/O thread
// applies event batches (apply: short, one lock per batch); the poller applies the broker's
// INSPECT answers; the HTTP threads read through read(), which holds the lock while the
// caller renders its answer (a page of tasks, never the whole history).

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "shoal/client/cluster_event.hpp"
#include "shoal/dashboard/event_fields.hpp"
#include "shoal/dashboard/queue_table.hpp"
#include "shoal/dashboard/string_pool.hpp"
#include "shoal/dashboard/task_history.hpp"
#include "shoal/dashboard/time_series.hpp"
#include "shoal/dashboard/worker_table.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::dashboard {

// The last answer to one INSPECT the poller asks, or why there is none.
struct inspect_snapshot {
    std::optional<proto::report> report;
    std::string error;       // empty when the last question was answered
    std::string error_code;  // the broker's code (forbidden, ...), or timeout, closed
    double at = 0;           // unix seconds of the last answer or error
};

struct model_state {
    static constexpr double chart_step_s = 10.0;
    static constexpr std::size_t chart_buckets = 360;  // an hour
    static constexpr std::size_t max_task_names = 10'000;

    explicit model_state(std::size_t max_tasks);

    string_pool strings;  // before tasks: the history refers to it
    task_history tasks;
    worker_table workers;
    queue_table queues;
    // The charts: counts per 10 s bucket (by the events' time), the queues' depth (polled).
    bucket_series sent{chart_step_s, chart_buckets};
    bucket_series succeeded{chart_step_s, chart_buckets};
    bucket_series failed{chart_step_s, chart_buckets};
    bucket_series retried{chart_step_s, chart_buckets};
    bucket_series depth{chart_step_s, chart_buckets};
    std::set<std::string> task_names;  // every name seen (at most max_task_names)
    inspect_snapshot workers_inspect;
    inspect_snapshot queues_inspect;
    inspect_snapshot dead;
    inspect_snapshot limits;
    inspect_snapshot stats;
    // The event stream: "connecting", "live", "refused" (events_error says why), "closed".
    std::string events_status = "connecting";
    std::string events_error;
    std::uint64_t events_received = 0;
    std::uint64_t events_dropped = 0;  // told by the broker: missed past our window
    std::uint64_t clock_gaps = 0;      // events missing between clocks (reconnects, drops)
    std::uint64_t broker_restarts = 0;
    std::uint64_t last_clock = 0;
    double last_event_at = 0;  // unix seconds (the event's own time)
    // Order keys: the broker's clock, offset past the last key when the clock starts over.
    std::uint64_t epoch_base = 0;
    std::uint64_t last_order = 0;
};

class cluster_model {
  public:
    explicit cluster_model(std::size_t max_tasks);

    // Every event of a batch, under one lock (the client's I/O thread).
    void apply(const event_batch& batch);
    // One event (tests, and apply above).
    void apply(const event_fields& e);

    // The order key now: an INSPECT asked now is older than any event applied after this.
    std::uint64_t order_now() const;
    // An INSPECT answer (workers, queues, dead, limits, stats), asked at `asked_order`,
    // received at unix time now.
    void apply_report(const proto::report& report, std::uint64_t asked_order, double now);
    // An INSPECT of `what` that failed: code (forbidden, timeout, ...) and message.
    void report_failed(const std::string& what, std::string code, std::string message, double now);
    void set_events_status(std::string status, std::string error = {});
    // The client's session: "live" or "disconnected", unless the subscription ended
    // ("refused", "closed"), which stays.
    void set_connected(bool up);

    // Runs f(const model_state&) under the lock and returns what it returns.
    template <class F>
    decltype(auto) read(F&& f) const {
        std::lock_guard lock(mutex_);
        return std::forward<F>(f)(static_cast<const model_state&>(state_));
    }

  private:
    void apply_locked(const event_fields& e);
    std::uint64_t order_of(std::uint64_t clock);
    inspect_snapshot* snapshot_of(const std::string& what);

    mutable std::mutex mutex_;
    model_state state_;
};

}  // namespace shoal::dashboard
