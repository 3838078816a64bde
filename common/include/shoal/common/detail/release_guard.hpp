#pragma once
// release_guard<Releasable>: the RAII holder returned by `co_await lk.scoped()` and
// `co_await sem.scoped()` (the C++ spelling of `async with lock:`). It owns one acquisition and
// gives it back in its destructor. Move-only; loop thread only; the primitive must outlive it.

#include <exception>
#include <utility>

#include "shoal/common/event_loop.hpp"

namespace shoal::detail {

template <class Releasable>
class [[nodiscard]] release_guard {
  public:
    // Adopts an acquisition the caller already made.
    explicit release_guard(Releasable& acquired) noexcept : held_(&acquired) {}
    release_guard(release_guard&& other) noexcept : held_(std::exchange(other.held_, nullptr)) {}
    release_guard& operator=(release_guard&& other) noexcept {
        if (this != &other) {
            release_noexcept();
            held_ = std::exchange(other.held_, nullptr);
        }
        return *this;
    }
    release_guard(const release_guard&) = delete;
    release_guard& operator=(const release_guard&) = delete;
    ~release_guard() { release_noexcept(); }

    // True until release() or a move.
    bool owns() const noexcept { return held_ != nullptr; }
    // Gives the acquisition back now instead of at scope exit; throws what the primitive's
    // release() throws. A no-op when nothing is owned.
    void release() {
        if (held_ != nullptr) {
            std::exchange(held_, nullptr)->release();
        }
    }

  private:
    // The primitive's release() throws only when it was released behind the guard's back (a
    // contract violation). A destructor must not throw, so that is reported to the loop's
    // exception handler rather than swallowed.
    void release_noexcept() noexcept {
        try {
            release();
        } catch (...) {
            const exception_context context{"Exception releasing a scoped guard",
                                            std::current_exception()};
            if (event_loop* loop = event_loop::current_or_null()) {
                loop->call_exception_handler(context);
            } else {
                event_loop::default_exception_handler(context);
            }
        }
    }

    Releasable* held_;  // null once released or moved from
};

}  // namespace shoal::detail
