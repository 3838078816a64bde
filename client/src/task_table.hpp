#pragma once
// task_table: the tasks this client submitted and still waits on, by id (I/O thread only).
// Each entry keeps the task as sent, so that it can be sent again: after a reconnect while
// unacknowledged, or when the broker answers a FETCH with "unknown" (it restarted without
// its store). Counts the unacknowledged ones, which is what flush() and close() wait on.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "shoal/client/client.hpp"
#include "shoal/client/detail/remote_state.hpp"
#include "shoal/proto/messages.hpp"
#include "shoal/proto/task_id.hpp"

namespace shoal::detail {

// Ids are random: two words compared, not a call to memcmp per probe.
struct task_id_equal {
    bool operator()(const proto::task_id& a, const proto::task_id& b) const noexcept {
        std::uint64_t a0, a1, b0, b1;
        std::memcpy(&a0, a.bytes.data(), 8);
        std::memcpy(&a1, a.bytes.data() + 8, 8);
        std::memcpy(&b0, b.bytes.data(), 8);
        std::memcpy(&b1, b.bytes.data() + 8, 8);
        return a0 == b0 && a1 == b1;
    }
};

struct own_task {
    std::shared_ptr<remote_state_base> state;
    proto::submitted_task task;
    std::uint64_t seq = 0;  // submission order, kept when tasks are sent again
    bool accepted = false;
};

class task_table {
public:
    // Adds an unacknowledged task; nullptr (and the task's future failed) if its id is taken.
    own_task* add(outgoing_task&& outgoing);
    own_task* find(const proto::task_id& id);
    void mark_accepted(own_task& task) noexcept;
    // The broker forgot an accepted task: it counts as unacknowledged again.
    void mark_unaccepted(own_task& task) noexcept;
    void erase(own_task* task);
    // Removes the task and hands it over (one lookup: the result path).
    std::optional<own_task> take(const proto::task_id& id);

    // Unacknowledged tasks in submission order, to send again.
    std::vector<own_task*> unaccepted_in_order();
    std::vector<proto::task_id> accepted_ids() const;
    std::size_t unacknowledged() const noexcept { return unacknowledged_; }
    std::size_t size() const noexcept { return tasks_.size(); }

    // Fails every task with `error` and empties the table.
    void fail_all(const std::exception_ptr& error);

private:
    std::unordered_map<proto::task_id, own_task, proto::task_id_hash, task_id_equal> tasks_;
    std::uint64_t next_seq_ = 0;
    std::size_t unacknowledged_ = 0;
};

}  // namespace shoal::detail
