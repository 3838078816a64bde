#pragma once
// id_map<V>: task id -> V, open addressing with linear probing (I/O thread data structure).
//
// Why not std::unordered_map: on the result path every lookup there costs three cache misses
// (bucket array, node, next node), and next to a busy broker and worker on the same machine
// those misses were a third of the client's CPU. Here the key sits in the slot with its value:
// one miss per lookup. Ids are random, so the low bits of their hash index the slots as they
// are. Deletion shifts the following entries back (no tombstones), so lookups never slow
// down with churn.
//
// Pointers to values stay valid until the next insertion or erasure.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "shoal/proto/task_id.hpp"

namespace shoal::detail {

template <class V>
class id_map {
public:
    id_map() { slots_.resize(initial_capacity); }

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    V* find(const proto::task_id& id) noexcept {
        for (std::size_t i = index_of(id);; i = (i + 1) & mask()) {
            slot& s = slots_[i];
            if (!s.used) return nullptr;
            if (same(s.key, id)) return &s.value;
        }
    }

    // The value for id, inserting a default one; second is true if it was inserted.
    std::pair<V*, bool> try_emplace(const proto::task_id& id) {
        if ((size_ + 1) * 8 > slots_.size() * 5) grow();  // load factor at most 5/8
        std::size_t i = index_of(id);
        for (;; i = (i + 1) & mask()) {
            slot& s = slots_[i];
            if (!s.used) break;
            if (same(s.key, id)) return {&s.value, false};
        }
        slot& s = slots_[i];
        s.used = true;
        s.key = id;
        s.value = V{};
        ++size_;
        return {&s.value, true};
    }

    // Removes id and returns its value (nullopt if absent).
    std::optional<V> take(const proto::task_id& id) {
        std::size_t i = index_of(id);
        for (;; i = (i + 1) & mask()) {
            if (!slots_[i].used) return std::nullopt;
            if (same(slots_[i].key, id)) break;
        }
        std::optional<V> out(std::move(slots_[i].value));
        erase_at(i);
        return out;
    }
    bool erase(const proto::task_id& id) { return take(id).has_value(); }

    template <class F>
    void for_each(F&& fn) {
        for (auto& s : slots_) {
            if (s.used) fn(s.key, s.value);
        }
    }
    template <class F>
    void for_each(F&& fn) const {
        for (const auto& s : slots_) {
            if (s.used) fn(s.key, s.value);
        }
    }

    void clear() {
        slots_.assign(initial_capacity, slot{});
        size_ = 0;
    }

private:
    static constexpr std::size_t initial_capacity = 64;  // a power of two

    struct slot {
        proto::task_id key{};
        bool used = false;
        V value{};
    };

    std::size_t mask() const noexcept { return slots_.size() - 1; }
    std::size_t index_of(const proto::task_id& id) const noexcept {
        return proto::task_id_hash{}(id) & mask();
    }
    static bool same(const proto::task_id& a, const proto::task_id& b) noexcept {
        std::uint64_t a0, a1, b0, b1;
        std::memcpy(&a0, a.bytes.data(), 8);
        std::memcpy(&a1, a.bytes.data() + 8, 8);
        std::memcpy(&b0, b.bytes.data(), 8);
        std::memcpy(&b1, b.bytes.data() + 8, 8);
        return a0 == b0 && a1 == b1;
    }

    // Backward-shift deletion: pull later entries of the same probe run into the hole.
    void erase_at(std::size_t hole) {
        for (std::size_t j = (hole + 1) & mask();; j = (j + 1) & mask()) {
            slot& s = slots_[j];
            if (!s.used) break;
            const std::size_t home = index_of(s.key);
            // s may move to the hole if its home is not in (hole, j] (cyclically).
            const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (stays) continue;
            slots_[hole] = std::move(s);
            hole = j;
        }
        slots_[hole].used = false;
        slots_[hole].value = V{};
        --size_;
    }

    void grow() {
        std::vector<slot> old = std::move(slots_);
        slots_.clear();
        slots_.resize(old.size() * 2);
        for (auto& s : old) {
            if (!s.used) continue;
            std::size_t i = index_of(s.key);
            while (slots_[i].used) i = (i + 1) & mask();
            slots_[i] = std::move(s);
        }
    }

    std::vector<slot> slots_;
    std::size_t size_ = 0;
};

}  // namespace shoal::detail
