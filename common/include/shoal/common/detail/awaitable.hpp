#pragma once
// What the combinators accept: a future<T> as it is, or a lazy task<T>, which they start with
// create_task on the running loop (asyncio's ensure_future for coroutines).

#include <type_traits>
#include <utility>

#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/task.hpp"

namespace shoal::detail {

template <class A>
struct awaitable_traits;
template <class T>
struct awaitable_traits<future<T>> {
    using result_type = T;
};
template <class T>
struct awaitable_traits<task<T>> {
    using result_type = T;
};

template <class A>
using awaitable_result_t = typename awaitable_traits<std::decay_t<A>>::result_type;

template <class T>
future<T> as_future(future<T> f, event_loop&) {
    return f;
}
template <class T>
future<T> as_future(task<T>&& t, event_loop& loop) {
    return loop.create_task(std::move(t));
}

// The loop the combinator binds to: the first future's, else the running one.
template <class A>
event_loop& pick_loop(const A& a) {
    if constexpr (requires { a.get_loop(); }) {
        return a.get_loop();
    } else {
        return event_loop::current();
    }
}

// The value of a done, successful child (copied, as every waiter may read it).
template <class T>
stored_t<T> copy_value(future<T>& f) {
    return stored_t<T>(f.state().value());
}

}  // namespace shoal::detail
