#include "fetch_table.hpp"

#include <utility>

#include "shoal/common/errors.hpp"

namespace shoal::detail {

void fetch_table::add_waiter(std::shared_ptr<remote_state_base> state) {
    const proto::task_id id = state->id();
    entries_[id].waiters.push_back(std::move(state));
}

void fetch_table::add_query(const proto::task_id& id, concurrent::future<fetch_result> reply) {
    entries_[id].queries.push_back(std::move(reply));
}

bool fetch_table::has_waiters(const proto::task_id& id) const {
    const auto it = entries_.find(id);
    return it != entries_.end() && !it->second.waiters.empty();
}

void fetch_table::complete(const proto::outcome& outcome) {
    const auto it = entries_.find(outcome.id);
    if (it == entries_.end() || it->second.waiters.empty()) return;
    auto waiters = std::move(it->second.waiters);
    it->second.waiters.clear();
    erase_if_empty(outcome.id);
    for (auto& w : waiters) w->complete(outcome);
}

void fetch_table::fail(const proto::task_id& id, const std::exception_ptr& error) {
    const auto it = entries_.find(id);
    if (it == entries_.end()) return;
    const entry taken = std::move(it->second);
    entries_.erase(it);
    for (const auto& w : taken.waiters) w->fail(error);
    for (auto& q : taken.queries) {
        q.try_set_exception(error);
    }
}

void fetch_table::cancel_waiters(const proto::task_id& id) {
    const auto it = entries_.find(id);
    if (it == entries_.end()) return;
    auto waiters = std::move(it->second.waiters);
    it->second.waiters.clear();
    erase_if_empty(id);
    for (auto& w : waiters) w->cancel_local();
}

void fetch_table::answer_queries(const proto::fetched_entry& fetched) {
    const auto it = entries_.find(fetched.id);
    if (it == entries_.end() || it->second.queries.empty()) return;
    auto queries = std::move(it->second.queries);
    it->second.queries.clear();
    erase_if_empty(fetched.id);
    for (auto& q : queries) {
        q.try_set_result(fetch_result{fetched.id, fetched.state, fetched.result});
    }
}

std::vector<proto::task_id> fetch_table::ids() const {
    std::vector<proto::task_id> out;
    out.reserve(entries_.size());
    for (const auto& [id, e] : entries_) out.push_back(id);
    return out;
}

std::vector<proto::task_id> fetch_table::waiter_ids() const {
    std::vector<proto::task_id> out;
    for (const auto& [id, e] : entries_) {
        if (!e.waiters.empty()) out.push_back(id);
    }
    return out;
}

void fetch_table::fail_all(const std::exception_ptr& error) {
    auto entries = std::move(entries_);
    entries_.clear();
    for (auto& [id, e] : entries) {
        for (auto& w : e.waiters) w->fail(error);
        for (auto& q : e.queries) {
            q.try_set_exception(error);
        }
    }
}

void fetch_table::erase_if_empty(const proto::task_id& id) {
    const auto it = entries_.find(id);
    if (it != entries_.end() && it->second.waiters.empty() && it->second.queries.empty()) {
        entries_.erase(it);
    }
}

}  // namespace shoal::detail
