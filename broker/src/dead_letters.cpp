#include "dead_letters.hpp"

namespace shoal::broker {

std::optional<dead_letter> dead_letters::add(dead_letter&& letter) {
    if (auto known = by_id_.find(letter.task.id); known != by_id_.end()) {
        // Set aside again (a restart's recovery): one letter per task, the newest.
        letters_.erase(known->second);
        by_id_.erase(known);
    }
    const proto::task_id id = letter.task.id;
    letters_.push_back(std::move(letter));
    by_id_[id] = std::prev(letters_.end());
    if (letters_.size() <= max_kept_) return std::nullopt;
    dead_letter oldest = std::move(letters_.front());
    by_id_.erase(oldest.task.id);
    letters_.pop_front();
    return oldest;
}

std::optional<dead_letter> dead_letters::take(const proto::task_id& id) {
    const auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    dead_letter d = std::move(*it->second);
    letters_.erase(it->second);
    by_id_.erase(it);
    return d;
}

}  // namespace shoal::broker
