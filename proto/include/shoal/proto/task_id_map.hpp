#pragma once
// task_id_map<V>: a hash map from task_id to V for the hot paths that look tasks up by id (the
// broker's inflight table and result store, the client's table of its own tasks), where
// std::unordered_map costs three to four cache misses per lookup (bucket, the node before,
// the node, the next node) and one allocation per entry.
//
// Values live in a slab (a deque: they never move, so V* stays valid until erased; freed
// slots are reused). The index is open addressing with linear probing over 8-byte cells
// holding a 32-bit hash tag and the slab position, so a lookup reads one index cache line
// and then the one value it wants; erasing shifts later cells back (no tombstones). Growing
// rehashes from the tags alone, without touching the slab.
//
// Memory per entry: sizeof(task_id) + sizeof(V) in the slab, plus 8-16 bytes of index.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "shoal/proto/task_id.hpp"

namespace shoal::proto {

template <class V>
class task_id_map {
  public:
    task_id_map() { cells_.assign(min_capacity, 0); }

    V* find(const task_id& id) {
        const std::size_t cell = locate(id, hash_of(id));
        return cell == npos ? nullptr : &slots_[position_of(cells_[cell])].value;
    }
    const V* find(const task_id& id) const {
        const std::size_t cell = locate(id, hash_of(id));
        return cell == npos ? nullptr : &slots_[position_of(cells_[cell])].value;
    }

    // {value, true} after adding a default V for a new id; {existing value, false} otherwise.
    std::pair<V*, bool> try_emplace(const task_id& id) {
        const std::uint32_t h = hash_of(id);
        if (const std::size_t cell = locate(id, h); cell != npos) {
            return {&slots_[position_of(cells_[cell])].value, false};
        }
        if ((size_ + 1) * 8 > cells_.size() * 7) grow();  // load factor at most 7/8
        const std::uint32_t pos = take_slot(id);
        std::size_t i = h & mask();
        while (cells_[i] != 0) i = (i + 1) & mask();
        cells_[i] = make_cell(h, pos);
        ++size_;
        return {&slots_[pos].value, true};
    }

    // Removes the id's entry (its V is reset, releasing what it holds). False if absent.
    bool erase(const task_id& id) {
        const std::size_t cell = locate(id, hash_of(id));
        if (cell == npos) return false;
        erase_cell(cell);
        return true;
    }

    // Removes the id's entry and hands its value over (one lookup); nullopt if absent.
    std::optional<V> take(const task_id& id) {
        const std::size_t cell = locate(id, hash_of(id));
        if (cell == npos) return std::nullopt;
        std::optional<V> out(std::move(slots_[position_of(cells_[cell])].value));
        erase_cell(cell);
        return out;
    }

    // Removes every entry and gives the memory back.
    void clear() {
        slots_.clear();
        used_.clear();
        free_.clear();
        cells_.assign(min_capacity, 0);
        size_ = 0;
    }

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    // After a burst the slab keeps its high-water mark; when three quarters of it is free,
    // this moves the values together and gives the memory back. It moves values: call it
    // only where no V* is held. Amortised O(1) per erase.
    void compact_if_sparse() {
        if (slots_.size() < 4 * min_capacity || size_ * 4 > slots_.size()) return;
        std::deque<slot> packed;
        std::vector<bool> packed_used;
        std::size_t capacity = min_capacity;
        while (capacity * 7 < size_ * 8 * 2) capacity *= 2;  // room to grow by half again
        std::vector<std::uint64_t> cells(capacity, 0);
        for (const std::uint64_t c : cells_) {
            if (c == 0) continue;
            const auto pos = static_cast<std::uint32_t>(packed.size());
            packed.push_back(std::move(slots_[position_of(c)]));
            packed_used.push_back(true);
            std::size_t i = tag_of(c) & (capacity - 1);
            while (cells[i] != 0) i = (i + 1) & (capacity - 1);
            cells[i] = make_cell(tag_of(c), pos);
        }
        slots_.swap(packed);
        used_.swap(packed_used);
        cells_.swap(cells);
        free_.clear();
        free_.shrink_to_fit();
    }
    // Slab slots held (used or free), for tests and memory accounting.
    std::size_t slab_size() const noexcept { return slots_.size(); }

    // f(const task_id&, V&) for every entry, in slab order. f must not add or erase.
    template <class F>
    void for_each(F&& f) {
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            if (used_[i]) f(static_cast<const task_id&>(slots_[i].id), slots_[i].value);
        }
    }
    template <class F>
    void for_each(F&& f) const {
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            if (used_[i]) f(slots_[i].id, static_cast<const V&>(slots_[i].value));
        }
    }

  private:
    static constexpr std::size_t min_capacity = 64;  // a power of two
    static constexpr std::size_t npos = SIZE_MAX;

    struct slot {
        task_id id;
        V value;
    };

    static std::uint32_t hash_of(const task_id& id) noexcept {
        const std::uint64_t x = task_id_hash{}(id);
        return static_cast<std::uint32_t>(x ^ (x >> 32));
    }
    static std::uint64_t make_cell(std::uint32_t tag, std::uint32_t pos) noexcept {
        return (std::uint64_t{tag} << 32) | (std::uint64_t{pos} + 1);  // 0 marks an empty cell
    }
    static std::uint32_t tag_of(std::uint64_t cell) noexcept {
        return static_cast<std::uint32_t>(cell >> 32);
    }
    static std::uint32_t position_of(std::uint64_t cell) noexcept {
        return static_cast<std::uint32_t>(cell & 0xffffffffu) - 1;
    }
    std::size_t mask() const noexcept { return cells_.size() - 1; }

    static bool same(const task_id& a, const task_id& b) noexcept {
        std::uint64_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
        std::memcpy(&a0, a.bytes.data(), 8);
        std::memcpy(&a1, a.bytes.data() + 8, 8);
        std::memcpy(&b0, b.bytes.data(), 8);
        std::memcpy(&b1, b.bytes.data() + 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }

    std::size_t locate(const task_id& id, std::uint32_t h) const noexcept {
        for (std::size_t i = h & mask();; i = (i + 1) & mask()) {
            const std::uint64_t c = cells_[i];
            if (c == 0) return npos;
            if (tag_of(c) == h && same(slots_[position_of(c)].id, id)) return i;
        }
    }

    void erase_cell(std::size_t hole) {
        release_slot(position_of(cells_[hole]));
        // Backward-shift deletion: move later cells of the probe run into the hole when
        // their home position allows it, so that lookups never need tombstones.
        std::size_t j = hole;
        while (true) {
            j = (j + 1) & mask();
            if (cells_[j] == 0) break;
            const std::size_t home = tag_of(cells_[j]) & mask();
            // The cell at j may move to the hole unless its home lies cyclically in (hole, j].
            const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) {
                cells_[hole] = cells_[j];
                hole = j;
            }
        }
        cells_[hole] = 0;
        --size_;
    }

    std::uint32_t take_slot(const task_id& id) {
        std::uint32_t pos = 0;
        if (!free_.empty()) {
            pos = free_.back();
            free_.pop_back();
        } else {
            pos = static_cast<std::uint32_t>(slots_.size());
            slots_.emplace_back();
            used_.push_back(false);
        }
        slots_[pos].id = id;
        used_[pos] = true;
        return pos;
    }

    void release_slot(std::uint32_t pos) {
        slots_[pos].value = V{};
        used_[pos] = false;
        free_.push_back(pos);
    }

    void grow() {
        std::vector<std::uint64_t> old;
        old.swap(cells_);
        cells_.assign(old.size() * 2, 0);
        for (const std::uint64_t c : old) {
            if (c == 0) continue;
            std::size_t i = tag_of(c) & mask();
            while (cells_[i] != 0) i = (i + 1) & mask();
            cells_[i] = c;
        }
    }

    std::deque<slot> slots_;  // a deque: values never move
    std::vector<bool> used_;  // per slot
    std::vector<std::uint32_t> free_;
    std::vector<std::uint64_t> cells_;  // power-of-two size
    std::size_t size_ = 0;
};

}  // namespace shoal::proto
