#pragma once
// shoal::shield(awaitable): a future that mirrors the inner one but whose cancellation does
// not reach it (asyncio.shield). Cancelling the caller raises cancelled_error in the caller
// while the inner work runs on.

#include <type_traits>
#include <utility>

#include "shoal/common/future.hpp"
#include "shoal/common/task.hpp"

namespace shoal {

template <class T>
future<T> shield(future<T> inner) {
    if (inner.done()) {
        return inner;
    }
    future<T> outer = inner.get_loop().template create_future<T>();
    const auto id = inner.add_done_callback([outer](future<T> in) mutable {
        if (outer.cancelled()) {
            if (!in.cancelled()) in.state().mark_retrieved();
            return;
        }
        if (in.cancelled()) {
            outer.cancel();
        } else if (std::exception_ptr e = in.exception()) {
            outer.set_exception(e);
        } else if constexpr (std::is_void_v<T>) {
            outer.set_result();
        } else {
            outer.set_result(in.result());
        }
    });
    // Once the outer side is cancelled nobody listens: drop the inner callback.
    outer.add_done_callback([inner, id](const future<T>& o) mutable {
        if (o.cancelled()) inner.remove_done_callback(id);
    });
    return outer;
}

template <class T>
future<T> shield(task<T> inner) {
    return shield(event_loop::current().create_task(std::move(inner)));
}

}  // namespace shoal
