#pragma once
// delayed_tasks: tasks the broker holds until a time (countdown, eta, or the wait before a
// retry). They wait here, not in a lane and not at a worker, so they take no worker's
// credit; when their time comes they join their lane, keeping their submission seq.
// A heap by due time: adding and releasing cost O(log n).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "task_queues.hpp"

namespace shoal::broker {

class delayed_tasks {
  public:
    void add(double due, lane_id lane, queued_task&& task);
    std::optional<double> next_due() const;
    // sink(lane_id, queued_task&&) for every task due at `now`, earliest first.
    template <class Sink>
    std::size_t release_due(double now, Sink&& sink);
    std::size_t size() const noexcept { return heap_.size(); }
    // f(double due, lane_id, const queued_task&) for every task held, in no order.
    template <class F>
    void for_each(F&& f) const {
        for (const item& it : heap_) f(it.due, it.lane, it.task);
    }

  private:
    struct item {
        double due = 0;
        std::uint64_t order = 0;  // ties keep the order of arrival
        lane_id lane = 0;
        queued_task task;
    };
    struct later {
        bool operator()(const item& a, const item& b) const noexcept {
            return a.due != b.due ? a.due > b.due : a.order > b.order;
        }
    };
    item pop();

    std::vector<item> heap_;
    std::uint64_t next_order_ = 0;
};

template <class Sink>
std::size_t delayed_tasks::release_due(double now, Sink&& sink) {
    std::size_t released = 0;
    while (!heap_.empty() && heap_.front().due <= now) {
        item it = pop();
        sink(it.lane, std::move(it.task));
        ++released;
    }
    return released;
}

}  // namespace shoal::broker
