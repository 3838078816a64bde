#include "tombstones.hpp"

#include <cstring>

namespace shoal::broker {

std::uint64_t tombstones::fingerprint(const proto::task_id& id) noexcept {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, id.bytes.data(), 8);
    std::memcpy(&b, id.bytes.data() + 8, 8);
    // Both words through a full 64-bit mix keyed by the process's secret seed: clients choose
    // ids, and a mix that is linear in them (it was a ^ rotl(b, 29)) let anyone write two ids
    // with one fingerprint ({a = 1 << 29, b = 0} and {a = 0, b = 1}). Not task_id_hash's key
    // or constants, so a table keyed by that hash and this set do not collide on the same ids.
    std::uint64_t x = (b ^ ~proto::task_id_hash_seed) + a * 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

void tombstones::add(const proto::task_id& id, std::uint64_t body_hash, double forget_at) {
    if (capacity_ == 0) return;
    while (order_.size() >= capacity_) {
        forget_oldest();
        ++forgotten_early_;
    }
    const std::uint64_t fp = fingerprint(id);
    order_.push_back({fp, forget_at});
    by_fingerprint_[fp] = kept{body_hash, forget_at};
}

std::optional<std::uint64_t> tombstones::find(const proto::task_id& id) const {
    const auto it = by_fingerprint_.find(fingerprint(id));
    if (it == by_fingerprint_.end()) return std::nullopt;
    return it->second.body_hash;
}

void tombstones::trim(double now) {
    while (!order_.empty() && order_.front().forget_at <= now) forget_oldest();
}

void tombstones::forget_oldest() {
    const mark m = order_.front();
    order_.pop_front();
    // The same id may have been remembered again later: only this mark's entry goes.
    if (const auto it = by_fingerprint_.find(m.fingerprint);
        it != by_fingerprint_.end() && it->second.forget_at == m.forget_at) {
        by_fingerprint_.erase(it);
    }
}

}  // namespace shoal::broker
