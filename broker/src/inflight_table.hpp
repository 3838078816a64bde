#pragma once
// inflight_table: the tasks workers hold right now, by id: which worker, which attempt, and
// the task itself, to re-queue if the worker dies. Its size is bounded by the workers'
// credit, so it stays small whatever the queues hold.
//
// Attempt fencing: a task re-queued after its worker died runs again with attempt + 1; a DONE
// that does not carry the current attempt of a task in flight is late and ignored.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "peer_ref.hpp"
#include "shoal/proto/task_id.hpp"
#include "shoal/proto/task_id_map.hpp"
#include "task_queues.hpp"

namespace shoal::broker {

struct inflight_task {
    queued_task task;  // task.attempt is the current attempt
    lane_id lane = 0;  // where it goes back if its worker dies
    peer_ref worker;
    std::uint64_t dispatch_no = 0;  // dispatch order: the worker starts its tasks in this order
    bool revoked = false;           // revoked while running: CANCEL sent, its DONE will be ignored
    bool started = false;           // the worker said it began (STARTED): a death counts against it
};

// What a DONE for (id, attempt) means.
enum class done_verdict {
    current,  // the attempt in flight: its outcome counts
    revoked,  // in flight but revoked: ignored, the worker no longer holds it
    late,     // not in flight, or another attempt: ignored
};

class inflight_table {
  public:
    // Adds a task a worker now holds; returns its entry (stable until removed).
    inflight_task& add(peer_ref worker, lane_id lane, queued_task&& task);
    inflight_task* find(const proto::task_id& id);

    // Judges a DONE. For current and revoked the entry is removed and moved into `taken`.
    done_verdict take_done(const proto::task_id& id, std::uint32_t attempt, inflight_task& taken);
    // Removes one entry (a dispatch that could not be sent).
    bool remove(const proto::task_id& id, inflight_task* taken = nullptr);
    // Removes and returns every task a worker holds, highest seq first (push_front order).
    std::vector<inflight_task> take_all_of(peer_ref worker);
    // Marks the current attempt of a task started; false if (id, attempt) is not in flight.
    bool mark_started(const proto::task_id& id, std::uint32_t attempt);

    std::size_t size() const noexcept { return tasks_.size(); }
    // f(const inflight_task&) for every entry.
    template <class F>
    void for_each(F&& f) const {
        tasks_.for_each([&](const proto::task_id&, const inflight_task& t) { f(t); });
    }

  private:
    proto::task_id_map<inflight_task> tasks_;
    std::uint64_t next_dispatch_no_ = 1;
};

}  // namespace shoal::broker
