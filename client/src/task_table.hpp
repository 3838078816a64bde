#pragma once
// task_table: the tasks this client submitted and still waits on, by id (I/O thread only).
// Each entry's state keeps the task as sent, so that it can be sent again: after a reconnect
// while unacknowledged, or when the broker answers a FETCH with "unknown" (it restarted without
// its store). Counts the unacknowledged ones, which is what flush() and close() wait on.
//
// Pointers returned by find() are valid until their task is erased; lists of tasks to send
// hold the states, which the table keeps alive.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "shoal/client/client.hpp"
#include "shoal/client/detail/remote_state.hpp"
#include "shoal/proto/task_id.hpp"
#include "shoal/proto/task_id_map.hpp"

namespace shoal::detail {

// Small on purpose: it lives in the map's slab; the task itself is in the state.
struct own_task {
    std::shared_ptr<remote_state_base> state;
    std::uint64_t seq = 0;  // submission order, kept when tasks are sent again
    // Repair (client_core::repair): when to ask again if nothing was heard by then (loop
    // time), and the step, doubled at each ask.
    double check_at = 0;
    float check_step = 0;
    std::uint32_t bytes = 0;  // the task's payload, counted against the unaccepted budget
    bool accepted = false;
};

class task_table {
  public:
    // Adds an unacknowledged task and returns its state; nullptr (and the task's future
    // failed) if its id is taken. `check_at` is when to send it again if not acknowledged.
    remote_state_base* add(outgoing_task&& outgoing, double check_at, double check_step);
    own_task* find(const proto::task_id& id) noexcept { return tasks_.find(id); }
    void mark_accepted(own_task& task) noexcept;
    // The broker forgot an accepted task: it counts as unacknowledged again.
    void mark_unaccepted(own_task& task) noexcept;
    // Removes the task and releases what it kept for resending.
    void erase(const proto::task_id& id);
    // Removes the task and hands it over (one lookup: the result path); its task released.
    std::optional<own_task> take(const proto::task_id& id);

    // Unacknowledged tasks in submission order, to send again.
    std::vector<remote_state_base*> unaccepted_in_order() const;
    std::vector<proto::task_id> accepted_ids() const;
    std::size_t unacknowledged() const noexcept { return unacknowledged_; }
    std::size_t unacknowledged_bytes() const noexcept { return unacknowledged_bytes_; }
    std::size_t size() const noexcept { return tasks_.size(); }

    // f(const task_id&, own_task&) for every task; f must not add or erase.
    template <class F>
    void for_each(F&& f) {
        tasks_.for_each(std::forward<F>(f));
    }

    // Fails every task with `error` and empties the table.
    void fail_all(const std::exception_ptr& error);

  private:
    proto::task_id_map<own_task> tasks_;
    std::uint64_t next_seq_ = 0;
    std::size_t unacknowledged_ = 0;
    std::size_t unacknowledged_bytes_ = 0;
};

}  // namespace shoal::detail
