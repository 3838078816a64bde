#pragma once
// credit_account: how many tasks the broker may send one worker (PROTOCOL.md section 6).
//
// Credit is a count of tokens, not a level: READY [n] and DONE's credit each add n, and every
// task dispatched spends one. A worker that starts with READY [slots + prefetch] and returns
// one token per finished task therefore never holds more than slots + prefetch tasks that it
// runs or keeps waiting. The broker trusts the tokens rather than counting held tasks: a
// worker whose coroutine task waits on subtasks gives that task's slot back (returns a token)
// while it waits, so it may then hold more tasks than slots + prefetch, and only it knows.
// Tokens are capped at slots + prefetch, so a worker that resends an absolute level with
// READY, or sends too much, still never gets more than that many tasks at once.

#include <algorithm>
#include <cstdint>

namespace shoal::broker {

class credit_account {
  public:
    credit_account() = default;
    credit_account(std::uint32_t slots, std::uint32_t prefetch)
        : capacity_(std::uint64_t{slots} + prefetch) {}

    // READY [n] or DONE's credit n.
    void grant(std::uint64_t n) noexcept {
        credit_ = std::min(capacity_, credit_ + std::min(n, capacity_));
    }
    // Tasks that may be dispatched now.
    std::uint64_t available() const noexcept { return credit_; }
    // n tasks were dispatched (n <= available()).
    void spend(std::uint64_t n) noexcept {
        credit_ -= std::min(credit_, n);
        held_ += n;
    }
    // A dispatch that could not be sent: its tasks and tokens come back.
    void refund(std::uint64_t n) noexcept {
        held_ -= std::min(held_, n);
        grant(n);
    }
    // A task the worker held is over (its DONE arrived, or it was taken back).
    void finished(std::uint64_t n = 1) noexcept { held_ -= std::min(held_, n); }
    // The worker drains: the tokens it gave are void, and no grant counts any more.
    void void_all() noexcept {
        credit_ = 0;
        capacity_ = 0;
    }

    std::uint64_t credit() const noexcept { return credit_; }
    std::uint64_t held() const noexcept { return held_; }
    std::uint64_t capacity() const noexcept { return capacity_; }

  private:
    std::uint64_t capacity_ = 0;  // slots + prefetch
    std::uint64_t credit_ = 0;    // tokens not spent yet
    std::uint64_t held_ = 0;      // tasks dispatched and not reported
};

}  // namespace shoal::broker
