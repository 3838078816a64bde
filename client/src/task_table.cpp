#include "task_table.hpp"

#include <algorithm>
#include <utility>

#include "shoal/client/errors.hpp"

namespace shoal::detail {

remote_state_base* task_table::add(outgoing_task&& outgoing, double check_at, double check_step) {
    const proto::task_id id = outgoing.state->id();
    auto [entry, inserted] = tasks_.try_emplace(id);
    if (!inserted) {
        // 122 random bits make this a bug somewhere, not bad luck: fail the newcomer only.
        outgoing.state->release_task();
        outgoing.state->fail(std::make_exception_ptr(
            invalid_submit_error("task id " + id.to_hex() + " is already in use")));
        return nullptr;
    }
    entry->state = std::move(outgoing.state);
    entry->seq = next_seq_++;
    entry->accepted = false;
    entry->check_at = check_at;
    entry->check_step = static_cast<float>(check_step);
    entry->bytes = static_cast<std::uint32_t>(entry->state->task.payload.size());
    ++unacknowledged_;
    unacknowledged_bytes_ += entry->bytes;
    return entry->state.get();
}

void task_table::mark_accepted(own_task& task) noexcept {
    if (task.accepted) return;
    task.accepted = true;
    --unacknowledged_;
    unacknowledged_bytes_ -= task.bytes;
    task.state->mark_accepted();
}

void task_table::mark_unaccepted(own_task& task) noexcept {
    if (!task.accepted) return;
    task.accepted = false;
    ++unacknowledged_;
    unacknowledged_bytes_ += task.bytes;
}

void task_table::erase(const proto::task_id& id) { (void)take(id); }

std::optional<own_task> task_table::take(const proto::task_id& id) {
    auto task = tasks_.take(id);
    if (!task) return std::nullopt;
    if (!task->accepted) {
        --unacknowledged_;
        unacknowledged_bytes_ -= task->bytes;
    }
    task->state->release_task();
    return task;
}

std::vector<remote_state_base*> task_table::unaccepted_in_order() const {
    std::vector<std::pair<std::uint64_t, remote_state_base*>> found;
    found.reserve(unacknowledged_);
    tasks_.for_each([&](const proto::task_id&, const own_task& t) {
        if (!t.accepted) found.emplace_back(t.seq, t.state.get());
    });
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<remote_state_base*> out;
    out.reserve(found.size());
    for (const auto& [seq, state] : found) out.push_back(state);
    return out;
}

std::vector<proto::task_id> task_table::accepted_ids() const {
    std::vector<proto::task_id> out;
    out.reserve(tasks_.size() - unacknowledged_);
    tasks_.for_each([&](const proto::task_id& id, const own_task& t) {
        if (t.accepted) out.push_back(id);
    });
    return out;
}

void task_table::fail_all(const std::exception_ptr& error) {
    // Empty the table first: a done callback may run client code that looks back in.
    std::vector<std::shared_ptr<remote_state_base>> states;
    states.reserve(tasks_.size());
    tasks_.for_each(
        [&](const proto::task_id&, own_task& t) { states.push_back(std::move(t.state)); });
    tasks_.clear();
    unacknowledged_ = 0;
    unacknowledged_bytes_ = 0;
    for (auto& s : states) {
        s->release_task();
        s->fail(error);
    }
}

}  // namespace shoal::detail
