#pragma once
// shoal::loop_ref: a thread-safe reference to an event loop that knows when the loop is gone.
// Other threads hold one instead of an `event_loop&` when they may outlive the loop:
//
//   shoal::loop_ref ref = loop.threadsafe_ref();      // on any thread, while the loop lives
//   std::thread([ref] {
//       if (!ref.call_soon_threadsafe([] { /* runs on the loop's thread */ })) {
//           // the loop is closed or destroyed: nothing was queued
//       }
//   }).detach();
//
// Once the loop is closed (close(), or its destructor) every call_soon_threadsafe through any
// loop_ref is refused and returns false: a late completion from another thread becomes a no-op
// instead of a call into freed memory (asyncio raises "Event loop is closed" there).
// A refused callback is destroyed before call_soon_threadsafe returns, on the calling thread.
//
// Thread-safety: copies may be used and destroyed on any thread at the same time.

#include <memory>
#include <utility>

#include "shoal/common/detail/unique_function.hpp"

namespace shoal {

class event_loop;

namespace detail {
class loop_lifetime;
}

class loop_ref {
  public:
    // Refers to no loop: behaves as a closed one.
    loop_ref() noexcept = default;

    // Queues cb on the loop's thread and wakes it (event_loop::call_soon_threadsafe); false,
    // with nothing queued, once the loop is closed or destroyed.
    bool call_soon_threadsafe(detail::unique_function<void()> cb) const;
    // True once the loop is closed or destroyed (or for an empty ref). A false answer may be
    // stale by the time it is read: call_soon_threadsafe's own answer is the one to trust.
    bool is_closed() const noexcept;

  private:
    friend class event_loop;
    explicit loop_ref(std::shared_ptr<detail::loop_lifetime> lifetime) noexcept
        : lifetime_(std::move(lifetime)) {}

    std::shared_ptr<detail::loop_lifetime> lifetime_;
};

}  // namespace shoal
