#include "task_table.hpp"

#include <algorithm>
#include <utility>

#include "shoal/client/errors.hpp"

namespace shoal::detail {

own_task* task_table::add(outgoing_task&& outgoing) {
    const proto::task_id id = outgoing.task.id;
    auto [it, inserted] = tasks_.try_emplace(id);
    if (!inserted) {
        // 122 random bits make this a bug somewhere, not bad luck: fail the newcomer only.
        outgoing.state->fail(std::make_exception_ptr(
            invalid_submit_error("task id " + id.to_hex() + " is already in use")));
        return nullptr;
    }
    own_task& entry = it->second;
    entry.state = std::move(outgoing.state);
    entry.task = std::move(outgoing.task);
    entry.seq = next_seq_++;
    ++unacknowledged_;
    return &entry;
}

own_task* task_table::find(const proto::task_id& id) {
    const auto it = tasks_.find(id);
    return it == tasks_.end() ? nullptr : &it->second;
}

void task_table::mark_accepted(own_task& task) noexcept {
    if (task.accepted) return;
    task.accepted = true;
    --unacknowledged_;
    task.state->mark_accepted();
}

void task_table::mark_unaccepted(own_task& task) noexcept {
    if (!task.accepted) return;
    task.accepted = false;
    ++unacknowledged_;
}

void task_table::erase(own_task* task) {
    if (!task->accepted) --unacknowledged_;
    const proto::task_id id = task->task.id;  // a copy: the key must outlive the erase
    tasks_.erase(id);
}

std::optional<own_task> task_table::take(const proto::task_id& id) {
    auto node = tasks_.extract(id);
    if (node.empty()) return std::nullopt;
    if (!node.mapped().accepted) --unacknowledged_;
    return std::move(node.mapped());
}

std::vector<own_task*> task_table::unaccepted_in_order() {
    std::vector<own_task*> out;
    out.reserve(unacknowledged_);
    for (auto& [id, entry] : tasks_) {
        if (!entry.accepted) out.push_back(&entry);
    }
    std::sort(out.begin(), out.end(),
              [](const own_task* a, const own_task* b) { return a->seq < b->seq; });
    return out;
}

std::vector<proto::task_id> task_table::accepted_ids() const {
    std::vector<proto::task_id> out;
    out.reserve(tasks_.size() - unacknowledged_);
    for (const auto& [id, entry] : tasks_) {
        if (entry.accepted) out.push_back(id);
    }
    return out;
}

void task_table::fail_all(const std::exception_ptr& error) {
    // Move the table out first: a done callback may run client code that looks back in.
    auto tasks = std::move(tasks_);
    tasks_.clear();
    unacknowledged_ = 0;
    for (auto& [id, entry] : tasks) entry.state->fail(error);
}

}  // namespace shoal::detail
