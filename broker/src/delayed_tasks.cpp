#include "delayed_tasks.hpp"

#include <algorithm>

namespace shoal::broker {

void delayed_tasks::add(double due, lane_id lane, queued_task&& task) {
    heap_.push_back(item{due, next_order_++, lane, std::move(task)});
    std::push_heap(heap_.begin(), heap_.end(), later{});
}

std::optional<double> delayed_tasks::next_due() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.front().due;
}

delayed_tasks::item delayed_tasks::pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later{});
    item it = std::move(heap_.back());
    heap_.pop_back();
    return it;
}

}  // namespace shoal::broker
