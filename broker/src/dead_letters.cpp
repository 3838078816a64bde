#include "shoal/broker/dead_letters.hpp"

#include <algorithm>

namespace shoal::broker {

std::optional<dead_letter> dead_letters::add(dead_letter&& letter) {
    letters_.push_back(std::move(letter));
    if (letters_.size() <= max_kept_) return std::nullopt;
    dead_letter oldest = std::move(letters_.front());
    letters_.pop_front();
    return oldest;
}

std::optional<dead_letter> dead_letters::take(const proto::task_id& id) {
    const auto it = std::find_if(letters_.begin(), letters_.end(),
                                 [&](const dead_letter& d) { return d.task.id == id; });
    if (it == letters_.end()) return std::nullopt;
    dead_letter d = std::move(*it);
    letters_.erase(it);
    return d;
}

}  // namespace shoal::broker
