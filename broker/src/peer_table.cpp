#include "peer_table.hpp"

#include <algorithm>

namespace shoal::broker {

peer_ref peer_table::add(std::string_view identity, std::string name, proto::peer_role role,
                         double now) {
    std::uint32_t slot = 0;
    if (!free_slots_.empty()) {
        slot = free_slots_.back();
        free_slots_.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
    }
    peer& p = slots_[slot];
    const std::uint32_t generation = p.generation + 1;
    p = peer{};
    p.generation = generation;
    p.in_use = true;
    p.identity.assign(identity);
    p.name = std::move(name);
    p.role = role;
    p.since = now;
    p.last_heard = now;
    p.last_sent = now;
    by_identity_.emplace(p.identity, slot);
    if (role == proto::peer_role::worker) workers_.push_back(slot);
    return {slot, generation};
}

void peer_table::set_offered(peer_ref ref, std::vector<name_id> names) {
    peer* p = get(ref);
    if (p == nullptr) return;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (const name_id n : p->worker.offered) --offers_[n];
    for (const name_id n : names) {
        if (offers_.size() <= n) offers_.resize(n + 1, 0);
        ++offers_[n];
    }
    p->worker.offered = std::move(names);
}

void peer_table::set_consumed(peer_ref ref, std::vector<std::string> queues) {
    peer* p = get(ref);
    if (p == nullptr) return;
    if (queues.empty()) queues.emplace_back(proto::default_queue);
    std::sort(queues.begin(), queues.end());
    queues.erase(std::unique(queues.begin(), queues.end()), queues.end());
    p->worker.queues = std::move(queues);
}

void peer_table::remove(peer_ref ref) {
    peer* p = get(ref);
    if (p == nullptr) return;
    if (p->role == proto::peer_role::worker) {
        for (const name_id n : p->worker.offered) --offers_[n];
        workers_.erase(std::find(workers_.begin(), workers_.end(), ref.slot));
    }
    by_identity_.erase(p->identity);
    const std::uint32_t generation = p->generation;
    *p = peer{};  // releases its strings and buffers now
    p->generation = generation;
    free_slots_.push_back(ref.slot);
}

peer* peer_table::find(std::string_view identity, peer_ref* ref) {
    const auto it = by_identity_.find(identity);
    if (it == by_identity_.end()) return nullptr;
    peer& p = slots_[it->second];
    if (ref != nullptr) *ref = {it->second, p.generation};
    return &p;
}

peer* peer_table::get(peer_ref ref) {
    if (ref.slot >= slots_.size()) return nullptr;
    peer& p = slots_[ref.slot];
    return p.in_use && p.generation == ref.generation ? &p : nullptr;
}

const peer* peer_table::get(peer_ref ref) const {
    if (ref.slot >= slots_.size()) return nullptr;
    const peer& p = slots_[ref.slot];
    return p.in_use && p.generation == ref.generation ? &p : nullptr;
}

}  // namespace shoal::broker
