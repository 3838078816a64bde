#pragma once
// queue_table: every queue, with its depth and age from the broker (INSPECT queues, polled) and
// its rates in and out per second from the event stream (task-sent in; a task's end out, by
// the queue its task-sent named). A queue the broker no longer lists is kept while it has
// traffic in the last minute. Bounded: at most max_queues.
//
// Not thread-safe: cluster_model guards it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "shoal/dashboard/time_series.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::dashboard {

struct queue_record {
    std::string name;
    bool listed = false;  // in the broker's last INSPECT queues answer
    std::int64_t length = 0;
    std::int64_t consumers = 0;
    std::string workers;
    std::optional<std::int64_t> oldest_age_ms;  // when the broker tells it
    bucket_series in{1.0, 60};
    bucket_series out{1.0, 60};
};

class queue_table {
  public:
    static constexpr std::size_t max_queues = 10'000;
    static constexpr double rate_window_s = 10.0;

    void task_in(const std::string& queue, double t);
    void task_out(const std::string& queue, double t);
    // An INSPECT queues answer, received at unix time now.
    void apply_inspect(const proto::report& report, double now);

    const std::map<std::string, queue_record>& all() const noexcept { return queues_; }
    // Tasks waiting in every listed queue.
    std::int64_t total_length() const noexcept;

  private:
    queue_record* find_or_add(const std::string& name);

    std::map<std::string, queue_record> queues_;
};

}  // namespace shoal::dashboard
