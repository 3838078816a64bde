#pragma once
// co_await shoal::wait_for(awaitable, timeout): the awaitable's result, or timeout_error once
// `timeout` seconds pass (asyncio.wait_for). On timeout the inner future or task is cancelled
// and waited for, so it has really stopped when timeout_error is thrown; if it swallows the
// cancellation and returns a value, that value is returned. Cancelling the caller cancels
// the inner awaitable too.

#include <optional>
#include <type_traits>
#include <utility>

#include "shoal/common/errors.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/task.hpp"

namespace shoal {

namespace detail {

// Suspends until the future is done, without taking its result (so no exception escapes
// except the waiting task's own cancellation).
template <class T>
task<void> until_done(future<T> f) {
    if (f.done()) co_return;
    future<void> wake = f.get_loop().template create_future<void>();
    const auto id = f.add_done_callback([wake](const future<T>&) mutable {
        if (!wake.done()) wake.set_result();
    });
    try {
        co_await wake;
    } catch (...) {
        f.remove_done_callback(id);
        throw;
    }
}

}  // namespace detail

template <class T>
task<T> wait_for(future<T> inner, std::optional<double> timeout) {
    if (timeout && *timeout <= 0 && !inner.done()) {
        inner.cancel();
        co_await detail::until_done(inner);
        if (inner.cancelled()) throw timeout_error();
        co_return detail::take_result(inner);
    }
    if (!timeout || inner.done()) {
        co_return co_await inner;
    }
    event_loop& loop = inner.get_loop();
    future<void> deadline = loop.create_future<void>();
    deadline.state().mark_remote_if(inner.state());  // waiting on it waits on remote work
    timer_handle timer = loop.call_later(*timeout, [deadline]() mutable {
        if (!deadline.done()) deadline.set_result();
    });
    const auto id = inner.add_done_callback([deadline](const future<T>&) mutable {
        if (!deadline.done()) deadline.set_result();
    });
    try {
        co_await deadline;  // whichever comes first: the inner result or the deadline
    } catch (const cancelled_error&) {
        timer.cancel();
        inner.remove_done_callback(id);
        inner.cancel();
        throw;
    }
    timer.cancel();
    if (inner.done()) {
        co_return detail::take_result(inner);
    }
    inner.remove_done_callback(id);
    inner.cancel();
    co_await detail::until_done(inner);
    if (inner.cancelled()) {
        throw timeout_error("wait_for: timed out");
    }
    co_return detail::take_result(inner);
}

template <class T>
task<T> wait_for(task<T> inner, std::optional<double> timeout) {
    co_return co_await wait_for(event_loop::current().create_task(std::move(inner)), timeout);
}

}  // namespace shoal
