#pragma once
// shoal::run_coroutine_threadsafe(task, loop): from any thread, runs the task on the loop and
// returns a concurrent::future for its result (asyncio.run_coroutine_threadsafe). Cancelling
// the concurrent future cancels the task on the loop.

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/detail/loop_bound_ref.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/task.hpp"

namespace shoal {

template <class T>
concurrent::future<T> run_coroutine_threadsafe(task<T> coroutine, event_loop& loop) {
    auto result = concurrent::make_future<T>();
    loop.call_soon_threadsafe([&loop, coroutine = std::move(coroutine), result]() mutable {
        if (result.cancelled()) {
            return;  // cancelled before the loop got to it: never start the coroutine
        }
        future<T> t = loop.create_task(std::move(coroutine));
        t.add_done_callback([result](future<T> f) {
            // The caller may cancel `result` at any moment from its thread (it stays pending,
            // not running, so that it can, as in Python); losing that race is fine.
            try {
                if (f.cancelled()) {
                    result.cancel();
                } else if (std::exception_ptr e = f.exception()) {
                    result.set_exception(e);
                } else if constexpr (std::is_void_v<T>) {
                    result.set_result();
                } else {
                    result.set_result(f.result());
                }
            } catch (const invalid_state_error&) {
            }
        });
        // The caller's thread may cancel: forward that to the task, on the loop.
        auto ref = std::make_shared<detail::loop_bound_ref<detail::future_state<T>>>(loop, t.state_ptr());
        result.add_done_callback([ref](const concurrent::future<T>& r) {
            if (!r.cancelled()) return;
            ref->loop().call_soon_threadsafe([ref] {
                if (auto st = ref->take()) st->cancel("");
            });
        });
    });
    return result;
}

}  // namespace shoal
