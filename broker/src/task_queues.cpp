#include "shoal/broker/task_queues.hpp"

#include <algorithm>

namespace shoal::broker {

lane_id task_queues::lane_for(std::string_view queue, std::string_view name,
                              std::uint32_t priority) {
    const name_id q = queue_names_.intern(queue);
    const name_id n = task_names_.intern(name);
    priority = std::min(priority, max_priority);
    const std::uint64_t key = key_of(q, n, priority);
    if (const auto it = lane_by_key_.find(key); it != lane_by_key_.end()) return it->second;
    const auto id = static_cast<lane_id>(lanes_.size());
    lane& l = lanes_.emplace_back();
    l.queue = q;
    l.name = n;
    l.priority = priority;
    lane_by_key_.emplace(key, id);
    if (lanes_by_name_.size() <= n) lanes_by_name_.resize(n + 1);
    if (lanes_by_queue_.size() <= q) lanes_by_queue_.resize(q + 1);
    lanes_by_name_[n].push_back(id);
    lanes_by_queue_[q].push_back(id);
    return id;
}

std::span<const lane_id> task_queues::lanes_of_name(name_id name) const {
    if (name >= lanes_by_name_.size()) return {};
    return lanes_by_name_[name];
}

std::span<const lane_id> task_queues::lanes_of_queue(name_id queue) const {
    if (queue >= lanes_by_queue_.size()) return {};
    return lanes_by_queue_[queue];
}

void task_queues::push_back(lane_id id, queued_task&& task) {
    lanes_[id].tasks.push_back(std::move(task));
    ++total_;
}

void task_queues::push_front(lane_id id, queued_task&& task) {
    lanes_[id].tasks.push_front(std::move(task));
    ++total_;
}

void task_queues::mark_stale(lane_id id) {
    lane& l = lanes_[id];
    // Never more stale tasks than tasks: a miscount must not make live() wrap around.
    if (l.stale < l.tasks.size()) {
        ++l.stale;
        ++stale_total_;
    }
}

std::size_t task_queues::live_in_queue(name_id queue) const {
    std::size_t n = 0;
    for (const lane_id id : lanes_of_queue(queue)) n += lanes_[id].live();
    return n;
}

void task_queues::pop_front(lane& l) {
    l.tasks.pop_front();
    --total_;
    if (l.tasks.empty() && l.stale > 0) {
        // An empty lane holds nothing stale; forget any miscount.
        stale_total_ -= l.stale;
        l.stale = 0;
    }
}

}  // namespace shoal::broker
