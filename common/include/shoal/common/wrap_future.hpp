#pragma once
// Bridges from the thread-safe concurrent::future to the loop (asyncio.wrap_future):
//   shoal::future<T> f = shoal::wrap_future(pool.submit(fn), loop);
//   T v = co_await pool.submit(fn);   // inside a task: wraps on the running loop
// The loop future completes on the loop's thread via call_soon_threadsafe. Cancelling the
// loop future cancels the concurrent one (which only succeeds while it is still queued).

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/detail/loop_bound_ref.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"

namespace shoal {

template <class T>
future<T> wrap_future(concurrent::future<T> source, event_loop& loop) {
    future<T> target = loop.create_future<T>();
    target.add_done_callback([source](const future<T>& f) {
        if (f.cancelled()) source.cancel();
    });
    // std::function (inside concurrent::future) wants copyable callbacks: share the ref.
    auto ref =
        std::make_shared<detail::loop_bound_ref<detail::future_state<T>>>(loop, target.state_ptr());
    source.add_done_callback([ref](concurrent::future<T> done) {
        // Once the loop is closed or destroyed the post is refused: nothing to complete.
        ref->post([ref, done]() mutable {
            auto st = ref->take();
            if (!st || st->done()) return;  // cancelled on the loop side meanwhile
            if (done.cancelled()) {
                st->cancel("");
            } else if (std::exception_ptr e = done.exception()) {
                st->set_exception(e);
            } else if constexpr (std::is_void_v<T>) {
                st->set_result();
            } else {
                st->set_result(done.result());
            }
        });
    });
    return target;
}

namespace concurrent {

// co_await a concurrent future inside a task on the running loop.
template <class T>
auto operator co_await(future<T> f) {
    return shoal::wrap_future(std::move(f), event_loop::current()).operator co_await();
}

}  // namespace concurrent
}  // namespace shoal
