#pragma once
// Subtasks from a loop task, awaited without holding a slot:
//
//     shoal::task<long> parent(long n) {
//         long child = co_await shoal::subtask(square, n);          // submit + await, slot given
//         back auto both = co_await shoal::without_slot(shoal::gather(   // any awaitable
//             shoal::wrap_future(ctx.client().submit(square, 1), loop),
//             shoal::wrap_future(ctx.client().submit(square, 2), loop)));
//         co_return child + ...;
//     }
//
// without_slot(awaitable) gives the calling task's slot back (and one credit to the broker)
// while it waits, and takes a slot back before the task goes on (tasks resuming go before
// tasks not started). The task is the worker's loop task whose coroutine *calls*
// without_slot() or subtask(), so they work inside any combinator: the issue-12 fan-out
//
//     auto [a, b] = co_await shoal::gather(shoal::subtask(fib, n - 1), shoal::subtask(fib, n - 2));
//
// gives the slot back once, when the first wait begins, and takes it back when the last one
// ends (each task counts its waits in progress). With wait/as_completed over several
// subtasks the task may go on before all are in: it then runs between them without a slot
// (a loop task's slot is a place among the tasks in progress, not a CPU). A wait cancelled
// takes the slot back at once, even beyond the slot count (the task is ending or goes on
// without that result); new tasks start only once the count is back under the slots.
// A task created inside a job's task (create_task, gather of coroutines) belongs to the same
// job (its host tag, task_driver.hpp). Outside a worker's loop task they simply await.
//
// A bare co_await of a remote future, or a combinator over one, gives the slot back too,
// without these: the loop tells the worker (detail/remote_wait_host.hpp). without_slot() is
// still how to give the slot back while awaiting something local.
//
// While a task waits without its slot it does not count against slots + prefetch: a worker
// whose tasks all wait on subtasks takes new work, and holds more than slots + prefetch tasks
// (the waiting ones cost memory, not a slot). During a drain no credit is returned, so a
// subtask only runs on another worker.

#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "shoal/client/client.hpp"
#include "shoal/client/remote_future.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/task_def.hpp"
#include "shoal/worker/worker_context.hpp"

namespace shoal {

namespace worker_detail {

// Awaits `awaitable` as one of the remote waits of the worker's job number `job` (0: none).
template <class T, class Awaitable>
task<T> await_without_slot(std::uint64_t job, Awaitable awaitable) {
    worker_context* context = worker_context::current_or_null();
    const bool counted = context != nullptr && job != 0 && context->begin_remote_wait(job);
    std::exception_ptr error;
    std::optional<detail::stored_t<T>> value;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(awaitable);
            value.emplace();
        } else {
            value.emplace(co_await std::move(awaitable));
        }
    } catch (...) {
        error = std::current_exception();  // (no co_await inside a handler: GCC 12)
    }
    if (counted) {
        if (holds<cancelled_error>(error)) {
            context->end_remote_wait_now(job);
        } else {
            bool slot_cancelled = false;
            try {
                co_await context->end_remote_wait(job);
            } catch (...) {
                slot_cancelled = true;  // cancelled while it queued for a slot
            }
            if (slot_cancelled) {
                context->take_slot_now(job);
                if (!error)
                    error = std::make_exception_ptr(
                        cancelled_error("cancelled while it waited for a slot"));
            }
        }
    }
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>) {
        co_return std::move(*value);
    }
}

inline std::uint64_t calling_job() noexcept {
    worker_context* context = worker_context::current_or_null();
    return context != nullptr ? context->current_job() : 0;
}

}  // namespace worker_detail

// The calling task is found now, when without_slot() is called (not when the returned task
// runs, which may be in another driver: gather, wait_for and create_task make their own).
template <class T>
task<T> without_slot(task<T> t) {
    return worker_detail::await_without_slot<T>(worker_detail::calling_job(), std::move(t));
}
template <class T>
task<T> without_slot(future<T> f) {
    return worker_detail::await_without_slot<T>(worker_detail::calling_job(), std::move(f));
}
template <class T>
task<T> without_slot(remote_future<T> f) {
    return worker_detail::await_without_slot<T>(worker_detail::calling_job(), std::move(f));
}

// Submits def(args...) through the worker's client at once, and returns a task that awaits
// it without holding the calling task's slot. Throws invalid_state_error outside a worker's
// loop task.
template <class R, class... Args>
task<R> subtask(const task_def<R(Args...)>& def, std::type_identity_t<Args>... args) {
    worker_context& context = worker_context::current();
    remote_future<R> child = context.client().submit(def, std::move(args)...);
    return worker_detail::await_without_slot<R>(context.current_job(), std::move(child));
}

}  // namespace shoal
