#pragma once
// credit_ledger: the worker's side of SHOAL/1 credit (PROTOCOL.md section 6). It counts the
// tasks the worker holds and the credit the broker still holds for it, so that
// held + granted never exceeds capacity (slots + prefetch): the broker cannot send more than
// the worker agreed to hold, whatever the timing of DISPATCH and DONE.
//
// Credit is additive: every READY and DONE carries the credit granted by that message on top
// of what the broker already has; a new session starts at zero. A worker that stops granting
// (draining) sends 0.

#include <algorithm>
#include <cstdint>

namespace shoal::worker_detail {

class credit_ledger {
  public:
    explicit credit_ledger(std::uint32_t capacity) noexcept : capacity_(capacity) {}

    // A WELCOME: the broker holds no credit for this session yet.
    void start_session() noexcept { granted_ = 0; }
    // The session is gone; whatever the broker held died with it.
    void end_session() noexcept { granted_ = 0; }

    // A DISPATCH of n tasks: they are held now and used n credits. Returns how many came
    // beyond the credit granted (a broker bug; the tasks still run).
    std::uint64_t dispatched(std::uint64_t n) noexcept {
        held_ += n;
        const std::uint64_t covered = std::min<std::uint64_t>(n, granted_);
        granted_ -= covered;
        return n - covered;
    }
    // Tasks the worker no longer holds (reported in a DONE sent), or holds again.
    void release(std::uint64_t n) noexcept { held_ -= std::min(n, held_); }
    void acquire(std::uint64_t n) noexcept { held_ += n; }

    // The credit to hand out now: room left under capacity, recorded as granted.
    std::uint32_t grant() noexcept {
        if (!granting_) return 0;
        const std::uint64_t used = held_ + granted_;
        if (used >= capacity_) return 0;
        const auto fresh = static_cast<std::uint32_t>(capacity_ - used);
        granted_ += fresh;
        return fresh;
    }
    // A grant that could not be sent after all.
    void take_back(std::uint32_t credit) noexcept {
        granted_ -= std::min<std::uint64_t>(credit, granted_);
    }

    // Draining: no more credit, ever.
    void stop_granting() noexcept { granting_ = false; }

    std::uint64_t held() const noexcept { return held_; }
    std::uint64_t granted() const noexcept { return granted_; }
    std::uint32_t capacity() const noexcept { return capacity_; }

  private:
    std::uint32_t capacity_;
    std::uint64_t held_ = 0;
    std::uint64_t granted_ = 0;
    bool granting_ = true;
};

}  // namespace shoal::worker_detail
