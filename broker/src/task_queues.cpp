#include "task_queues.hpp"

#include <algorithm>

namespace shoal::broker {

lane_id task_queues::lane_for(std::string_view queue, std::string_view name,
                              std::uint32_t priority) {
    const name_id q = queue_names_.intern(queue);
    const name_id n = task_names_.intern(name);
    priority = std::min(priority, max_priority);
    const std::uint64_t key = key_of(q, n, priority);
    if (const auto it = lane_by_key_.find(key); it != lane_by_key_.end()) return it->second;
    lane_id id = 0;
    if (!free_lanes_.empty()) {
        id = free_lanes_.back();
        free_lanes_.pop_back();
        lanes_[id] = lane{};
    } else {
        id = static_cast<lane_id>(lanes_.size());
        lanes_.emplace_back();
    }
    lane& l = lanes_[id];
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

std::size_t task_queues::reclaim(const std::vector<bool>& in_use,
                                 const std::function<bool(name_id)>& keep_task_name) {
    std::size_t freed = 0;
    const auto erase_id = [](std::vector<lane_id>& ids, lane_id id) {
        ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    };
    for (lane_id id = 0; id < lanes_.size(); ++id) {
        lane& l = lanes_[id];
        if (!l.in_use) continue;
        if (!l.tasks.empty() && l.live() == 0) {
            // Only revoked or expired records, which nobody may ever take out of a lane whose
            // name no worker offers: they go now.
            total_ -= l.tasks.size();
            stale_total_ -= l.stale;
            l.stale = 0;
            std::deque<queued_task>().swap(l.tasks);
        }
        if (!l.tasks.empty() || (id < in_use.size() && in_use[id])) continue;
        lane_by_key_.erase(key_of(l.queue, l.name, l.priority));
        erase_id(lanes_by_name_[l.name], id);
        erase_id(lanes_by_queue_[l.queue], id);
        std::deque<queued_task>().swap(l.tasks);
        l.in_use = false;
        free_lanes_.push_back(id);
        ++freed;
    }
    if (freed == 0) return 0;
    for (name_id q = 0; q < lanes_by_queue_.size(); ++q) {
        if (lanes_by_queue_[q].empty() && queue_names_.holds(q)) queue_names_.release(q);
    }
    for (name_id n = 0; n < lanes_by_name_.size(); ++n) {
        if (lanes_by_name_[n].empty() && task_names_.holds(n) && !keep_task_name(n)) {
            task_names_.release(n);
        }
    }
    return freed;
}

}  // namespace shoal::broker
