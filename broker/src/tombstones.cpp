#include "shoal/broker/tombstones.hpp"

#include <cstring>

namespace shoal::broker {

std::uint64_t tombstones::fingerprint(const proto::task_id& id) noexcept {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, id.bytes.data(), 8);
    std::memcpy(&b, id.bytes.data() + 8, 8);
    // Not task_id_hash: a different mix, so a table keyed by that hash and this set do not
    // collide on the same ids.
    return a ^ ((b << 29) | (b >> 35)) ^ 0x2545f4914f6cdd1dULL;
}

void tombstones::add(const proto::task_id& id, double now) {
    if (capacity_ == 0) return;
    while (order_.size() >= capacity_) forget_oldest();
    const std::uint64_t fp = fingerprint(id);
    order_.push_back({fp, now});
    set_.insert(fp);
}

bool tombstones::contains(const proto::task_id& id) const {
    return set_.find(fingerprint(id)) != set_.end();
}

void tombstones::trim(double now) {
    while (!order_.empty() && now - order_.front().at > keep_s_) forget_oldest();
}

void tombstones::forget_oldest() {
    // Erase one copy only: the same id may have expired again later.
    if (const auto it = set_.find(order_.front().fingerprint); it != set_.end()) set_.erase(it);
    order_.pop_front();
}

}  // namespace shoal::broker
