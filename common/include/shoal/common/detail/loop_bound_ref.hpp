#pragma once
// loop_bound_ref<T>: a reference to a loop-bound object (non-atomic refcount) that may travel
// through other threads and be destroyed there, and may outlive the loop. Only the loop's
// thread touches the count: dropped elsewhere, the reference goes back through the loop's
// thread-safe queue; when the loop closes, its close() takes every such reference and
// releases it on its own thread. From then on post() refuses and the reference is empty, so a
// completion arriving after the loop is gone is a no-op (see loop_lifetime.hpp).

#include <utility>

#include "shoal/common/detail/loop_lifetime.hpp"
#include "shoal/common/detail/ref_ptr.hpp"
#include "shoal/common/event_loop.hpp"

namespace shoal::detail {

template <class T>
class loop_bound_ref final : public loop_bound_ref_base {
  public:
    // Constructed on the loop's thread.
    loop_bound_ref(event_loop& loop, ref_ptr<T> p) noexcept
        : loop_bound_ref_base(loop, p.detach()) {}

    // Any thread: runs fn on the loop's thread; false, and fn is destroyed on the calling
    // thread, once the loop is closed or destroyed.
    bool post(callback fn) const { return loop_bound_ref_base::post(std::move(fn)); }
    // Takes the reference; call only on the loop's thread. Null once taken, or after the
    // loop closed.
    ref_ptr<T> take() noexcept { return ref_ptr<T>::adopt(static_cast<T*>(take_held())); }
};

}  // namespace shoal::detail
