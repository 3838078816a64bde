#include "expiry_watch.hpp"

#include <algorithm>

namespace shoal::broker {

void expiry_watch::add(double at, const proto::task_id& id, std::uint64_t seq) {
    heap_.push_back(entry{at, id, seq});
    std::push_heap(heap_.begin(), heap_.end(), later{});
}

std::optional<double> expiry_watch::next_at() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.front().at;
}

}  // namespace shoal::broker
