#pragma once
// task_queues: the named FIFO queues of tasks waiting for a worker.
//
// A named queue (the task's `queue` field) is stored as one lane per task name in it: a lane
// holds that queue's tasks of one name, in submission order. A worker reads only the lanes of
// the names its HELLO offered, so a task nobody here can run never blocks the tasks behind it
// (no head-of-line blocking and no scanning). Across lanes the oldest head goes first (each
// task carries its submission sequence number), so a queue still drains in FIFO order.
//
// Priorities (0..9, higher first): each priority of a (queue, name) has its own lane, and a
// worker takes from its lanes the highest priority first, then the oldest. Priority acts only
// on tasks still here: what a worker already holds (its prefetch) runs in the order it came.
//
// Revoking a queued task is lazy: its lane counts one stale task, and the task is dropped when
// it reaches the head (erasing from the middle of a deque would cost O(length)).
//
// Memory: a queued task is one 40-byte record in a deque, plus its task_extras when it has
// any; its payload is kept by the result store's entry (so that a revoked or expired task's
// bytes go at once, wherever its record waits).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "name_table.hpp"
#include "shoal/proto/task_id.hpp"
#include "task_extras.hpp"

namespace shoal::broker {

// One task waiting in a lane (or held by a worker, in the in-flight table).
struct queued_task {
    proto::task_id id;
    std::uint32_t attempt = 1;            // 1 for the first dispatch; every dispatch after adds one
    std::uint16_t retries = 0;            // failed attempts run again (retry policy)
    std::uint16_t deaths = 0;             // attempts that ended with their worker's death
    std::uint64_t seq = 0;                // submission order, kept across re-queues
    std::unique_ptr<task_extras> extras;  // time limits and retry policy, if any
    // When it joined its queue (this attempt), in ms of the loop's clock, modulo 2^32: a
    // difference stays right for 49 days. For the queue-wait histogram and a queue's oldest
    // age. (8 bytes per queued task, padding included.)
    std::uint32_t enqueued_ms = 0;
};

using lane_id = std::uint32_t;

inline constexpr std::uint32_t default_priority = 0;
inline constexpr std::uint32_t max_priority = 9;

struct lane {
    name_id queue = 0;  // in queue_names()
    name_id name = 0;   // in task_names()
    std::uint32_t priority = default_priority;
    std::deque<queued_task> tasks;
    std::size_t stale = 0;  // tasks in `tasks` revoked while queued, dropped at the head
    bool in_use = true;     // false once reclaimed (its id waits to be given to a new lane)
    std::size_t live() const noexcept { return tasks.size() - stale; }
};

class task_queues {
  public:
    // The lane of (queue, name, priority), created if new.
    lane_id lane_for(std::string_view queue, std::string_view name,
                     std::uint32_t priority = default_priority);
    // The lanes holding tasks of a name, in every queue; of a queue, for every name.
    std::span<const lane_id> lanes_of_name(name_id name) const;
    std::span<const lane_id> lanes_of_queue(name_id queue) const;

    name_table& task_names() noexcept { return task_names_; }
    const name_table& task_names() const noexcept { return task_names_; }
    const name_table& queue_names() const noexcept { return queue_names_; }

    const lane& at(lane_id id) const { return lanes_[id]; }
    std::size_t lane_count() const noexcept { return lanes_.size(); }

    // New tasks go to the back; a dead worker's tasks go back to the front (re-queue them in
    // descending seq so the lane stays in submission order).
    void push_back(lane_id id, queued_task&& task);
    void push_front(lane_id id, queued_task&& task);
    // One task of the lane was revoked while queued: it will be skipped when reached.
    void mark_stale(lane_id id);

    // Tasks that will still run (stale ones excluded), in all queues or in one.
    std::size_t live_total() const noexcept { return total_ - stale_total_; }
    std::size_t live_in_queue(name_id queue) const;

    // What take() does with the head it is offered.
    enum class take_result { taken, stop, skip_lane };

    // Takes up to `max` tasks from `lanes` (at most 64 lanes are skipped), highest priority
    // first, then oldest head. For each head, take(lane_id, queued_task&) moves the task out
    // and returns taken (it is popped), or returns stop (it stays, and taking ends), or
    // skip_lane (it stays, and this lane is passed over for the rest of this call).
    // is_live(const queued_task&) is consulted only in lanes holding stale tasks; a task it
    // rejects is dropped. Returns how many were taken.
    template <class IsLive, class Take>
    std::size_t take_oldest(std::span<const lane_id> lanes, std::size_t max, IsLive&& is_live,
                            Take&& take);

    // Takes up to `max` live tasks out of a queue's lanes (PURGE, a slice per pass), calling
    // sink(lane_id, queued_task&&) for each; stale records met on the way are dropped.
    // Returns how many live tasks were removed.
    template <class IsLive, class Sink>
    std::size_t drain_queue(name_id queue, IsLive&& is_live, Sink&& sink,
                            std::size_t max = SIZE_MAX);

    // Frees every lane that holds no record and that no task outside the lanes will come back
    // to (`in_use[lane]`: in flight, held, dead-lettered), then every queue name no lane uses
    // and every task name no lane uses that keep_task_name(name) does not keep (a name a
    // worker offers, a rate-limited one). Freed ids are given to new lanes and names, so the
    // tables hold what is in use, not every name a client ever sent. Returns lanes freed.
    std::size_t reclaim(const std::vector<bool>& in_use,
                        const std::function<bool(name_id)>& keep_task_name);
    // Lanes in use (not reclaimed).
    std::size_t live_lane_count() const noexcept { return lanes_.size() - free_lanes_.size(); }

  private:
    void pop_front(lane& l);
    static std::uint64_t key_of(name_id queue, name_id name, std::uint32_t priority) noexcept {
        return (std::uint64_t{queue} << 36) | (std::uint64_t{priority} << 32) | name;
    }

    name_table task_names_;
    name_table queue_names_;
    std::deque<lane> lanes_;  // a deque: adding a lane never moves another
    std::unordered_map<std::uint64_t, lane_id> lane_by_key_;
    std::vector<std::vector<lane_id>> lanes_by_name_;   // indexed by task name id
    std::vector<std::vector<lane_id>> lanes_by_queue_;  // indexed by queue name id
    std::vector<lane_id> free_lanes_;                   // reclaimed, to reuse
    std::size_t total_ = 0;                             // records in every lane
    std::size_t stale_total_ = 0;                       // of which stale
};

template <class IsLive, class Take>
std::size_t task_queues::take_oldest(std::span<const lane_id> lanes, std::size_t max,
                                     IsLive&& is_live, Take&& take) {
    std::size_t taken = 0;
    lane_id skipped[64];
    std::size_t skipped_count = 0;
    const auto is_skipped = [&](lane_id id) {
        for (std::size_t i = 0; i < skipped_count; ++i) {
            if (skipped[i] == id) return true;
        }
        return false;
    };
    while (taken < max) {
        lane* best = nullptr;
        lane_id best_id = 0;
        for (const lane_id id : lanes) {
            lane& l = lanes_[id];
            if (skipped_count > 0 && is_skipped(id)) continue;
            // Stale heads go before the lane is ranked: a lane's rank is the seq of the task it
            // would give, not of a revoked or expired record in front of it (a lane is not in
            // seq order: a task held by its countdown joins it behind younger ones).
            while (l.stale > 0 && !l.tasks.empty() &&
                   !is_live(static_cast<const queued_task&>(l.tasks.front()))) {
                --l.stale;
                --stale_total_;
                pop_front(l);
            }
            if (l.tasks.empty()) continue;
            if (best == nullptr || l.priority > best->priority ||
                (l.priority == best->priority && l.tasks.front().seq < best->tasks.front().seq)) {
                best = &l;
                best_id = id;
            }
        }
        if (best == nullptr) break;
        queued_task& head = best->tasks.front();
        const take_result r = take(best_id, head);
        if (r == take_result::stop) break;
        if (r == take_result::skip_lane) {
            if (skipped_count == std::size(skipped)) break;
            skipped[skipped_count++] = best_id;
            continue;
        }
        pop_front(*best);
        ++taken;
    }
    return taken;
}

template <class IsLive, class Sink>
std::size_t task_queues::drain_queue(name_id queue, IsLive&& is_live, Sink&& sink,
                                     std::size_t max) {
    std::size_t drained = 0;
    for (const lane_id id : lanes_of_queue(queue)) {
        lane& l = lanes_[id];
        while (!l.tasks.empty() && drained < max) {
            queued_task& head = l.tasks.front();
            if (l.stale > 0 && !is_live(static_cast<const queued_task&>(head))) {
                --l.stale;
                --stale_total_;
                pop_front(l);
                continue;
            }
            sink(id, std::move(head));
            pop_front(l);
            ++drained;
        }
        if (l.tasks.empty()) std::deque<queued_task>().swap(l.tasks);  // give the memory back
        if (drained >= max) break;
    }
    return drained;
}

}  // namespace shoal::broker
