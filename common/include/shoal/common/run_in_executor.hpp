#pragma once
// loop.run_in_executor(executor, fn, args...): runs fn(args...) on an executor and returns a
// loop future for the result (asyncio's loop.run_in_executor). Pass nullptr for the loop's
// default executor (a thread_pool_executor made on first use). Any executor whose
// submit(fn, args...) returns a concurrent::future works: thread_pool_executor, and
// process_pool_executor with a task_def as fn.
//
//   auto r = co_await loop.run_in_executor(nullptr, blocking_io, path);
//   auto n = co_await loop.run_in_executor(&processes, count, 7);

#include <cstddef>
#include <utility>

#include "shoal/common/event_loop.hpp"
#include "shoal/common/thread_pool_executor.hpp"
#include "shoal/common/wrap_future.hpp"

namespace shoal {

template <class Executor, class F, class... Args>
auto event_loop::run_in_executor(Executor* executor, F&& fn, Args&&... args) {
    check_open();
    return wrap_future(executor->submit(std::forward<F>(fn), std::forward<Args>(args)...), *this);
}

template <class F, class... Args>
auto event_loop::run_in_executor(std::nullptr_t, F&& fn, Args&&... args) {
    return run_in_executor(&default_executor(), std::forward<F>(fn), std::forward<Args>(args)...);
}

}  // namespace shoal
