#pragma once
// timer_queue: the event loop's timers ordered by (deadline, scheduling order).
//
// Two lanes. Most timers in a server share a delay (sleeps of one length, heartbeats,
// request timeouts), so they arrive in increasing deadline order: those go to a FIFO lane,
// O(1) to add and to take. A timer due earlier than the FIFO's last one goes to a binary
// heap, O(log n). The earliest timer is the smaller of the two fronts. Entries are
// (deadline, order, slot, generation); the loop owns the callbacks and decides staleness.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace shoal::detail {

struct timer_entry {
    double when;
    std::uint64_t order;  // ties broken by scheduling order
    std::uint32_t slot;
    std::uint32_t generation;
};

class timer_queue {
  public:
    bool empty() const noexcept { return fifo_.empty() && heap_.empty(); }
    std::size_t size() const noexcept { return fifo_.size() + heap_.size(); }

    void push(const timer_entry& e) {
        if (fifo_.empty() || !before(e, fifo_.back())) {
            fifo_.push_back(e);
        } else {
            heap_.push_back(e);
            std::push_heap(heap_.begin(), heap_.end(), later);
        }
    }

    // The earliest entry; the queue must not be empty.
    const timer_entry& top() const noexcept {
        if (heap_.empty()) return fifo_.front();
        if (fifo_.empty()) return heap_.front();
        return before(heap_.front(), fifo_.front()) ? heap_.front() : fifo_.front();
    }

    // Removes and returns the earliest entry; the queue must not be empty.
    timer_entry pop() {
        if (!heap_.empty() && (fifo_.empty() || before(heap_.front(), fifo_.front()))) {
            std::pop_heap(heap_.begin(), heap_.end(), later);
            const timer_entry e = heap_.back();
            heap_.pop_back();
            return e;
        }
        const timer_entry e = fifo_.front();
        fifo_.pop_front();
        return e;
    }

    // Drops every entry for which stale(e) holds (both lanes keep their order).
    template <class Pred>
    void erase_if(Pred stale) {
        std::erase_if(fifo_, stale);
        std::erase_if(heap_, stale);
        std::make_heap(heap_.begin(), heap_.end(), later);
    }

    void clear() noexcept {
        fifo_.clear();
        heap_.clear();
    }

  private:
    static bool before(const timer_entry& a, const timer_entry& b) noexcept {
        return a.when != b.when ? a.when < b.when : a.order < b.order;
    }
    // std::*_heap build a max-heap: "later" puts the earliest entry on top.
    static bool later(const timer_entry& a, const timer_entry& b) noexcept { return before(b, a); }

    std::deque<timer_entry> fifo_;
    std::vector<timer_entry> heap_;
};

}  // namespace shoal::detail
