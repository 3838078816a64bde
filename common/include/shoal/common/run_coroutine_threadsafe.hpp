#pragma once
// shoal::run_coroutine_threadsafe(task, loop): from any thread, runs the task on the loop and
// returns a concurrent::future for its result (asyncio.run_coroutine_threadsafe). Cancelling
// the concurrent future cancels the task on the loop. If the loop closes before the task
// finishes (or before it starts), the future fails with event_loop_error instead of staying
// pending forever; cancelling it after the loop is gone is a no-op. The loop must exist when
// this is called (throws event_loop_error if it is closed).

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/detail/loop_bound_ref.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/task.hpp"

namespace shoal {

namespace detail {

// Travels with the coroutine to the loop and into its task's done-callback. Destroyed before
// it settled the caller's future (the loop closed and dropped the queued call, or destroyed
// the pending task and its callbacks), it fails that future so that its waiter wakes up.
template <class T>
class settle_when_dropped {
  public:
    explicit settle_when_dropped(concurrent::future<T> result) noexcept
        : result_(std::move(result)) {}
    settle_when_dropped(settle_when_dropped&& o) noexcept
        : result_(std::move(o.result_)), armed_(std::exchange(o.armed_, false)) {}
    settle_when_dropped& operator=(settle_when_dropped&&) = delete;
    ~settle_when_dropped() {
        if (!armed_) return;
        // Cancelled by the caller meanwhile: that stands (try_).
        result_.try_set_exception(std::make_exception_ptr(
            event_loop_error("Event loop is closed: the coroutine never finished")));
    }
    // The caller's future, from now on settled by the task.
    const concurrent::future<T>& disarm() noexcept {
        armed_ = false;
        return result_;
    }
    const concurrent::future<T>& result() const noexcept { return result_; }

  private:
    concurrent::future<T> result_;
    bool armed_ = true;
};

}  // namespace detail

template <class T>
concurrent::future<T> run_coroutine_threadsafe(task<T> coroutine, event_loop& loop) {
    auto result = concurrent::make_future<T>();
    detail::settle_when_dropped<T> guard(result);
    loop.call_soon_threadsafe([&loop, coroutine = std::move(coroutine),
                               guard = std::move(guard)]() mutable {
        if (guard.result().cancelled()) {
            guard.disarm();
            return;  // cancelled before the loop got to it: never start the coroutine
        }
        future<T> t = loop.create_task(std::move(coroutine));
        const concurrent::future<T> caller_future = guard.result();
        t.add_done_callback([guard = std::move(guard)](future<T> f) mutable {
            const concurrent::future<T>& caller = guard.disarm();
            // The caller may cancel `caller` at any moment from its thread (it stays pending,
            // not running, so that it can, as in Python); losing that race is fine.
            if (f.cancelled()) {
                caller.cancel();
            } else if (std::exception_ptr e = f.exception()) {
                caller.try_set_exception(e);
            } else if constexpr (std::is_void_v<T>) {
                caller.try_set_result();
            } else {
                caller.try_set_result(f.result());
            }
        });
        // The caller's thread may cancel: forward that to the task, on the loop (a no-op
        // once the loop is closed or destroyed).
        auto ref =
            std::make_shared<detail::loop_bound_ref<detail::future_state<T>>>(loop, t.state_ptr());
        caller_future.add_done_callback([ref](const concurrent::future<T>& r) {
            if (!r.cancelled()) return;
            ref->post([ref] {
                if (auto st = ref->take()) st->cancel("");
            });
        });
    });
    return result;
}

}  // namespace shoal
