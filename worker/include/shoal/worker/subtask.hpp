#pragma once
// Subtasks from a loop task, awaited without holding a slot:
//
//     shoal::task<long> parent(long n) {
//         long child = co_await shoal::subtask(square, n);          // submit + await, slot given back
//         auto both = co_await shoal::without_slot(shoal::gather(   // any awaitable
//             shoal::wrap_future(ctx.client().submit(square, 1), loop),
//             shoal::wrap_future(ctx.client().submit(square, 2), loop)));
//         co_return child + ...;
//     }
//
// without_slot(awaitable) releases the calling task's slot and returns one credit to the
// broker, awaits, then takes a slot back before it resumes the task (tasks resuming go before
// tasks not started). A task cancelled while it waits does not take a slot back. Outside a
// worker's loop task it simply awaits.
//
// While a task waits without its slot it does not count against slots + prefetch: a worker
// whose tasks all wait on subtasks takes new work, and holds more than slots + prefetch tasks
// (the waiting ones cost memory, not a slot). During a drain no credit is returned, so a
// subtask only runs on another worker.

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

inline bool is_cancellation(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const cancelled_error&) {
        return true;
    } catch (...) {
        return false;
    }
}

template <class T, class Awaitable>
task<T> await_without_slot(Awaitable awaitable) {
    worker_context* context = worker_context::current_or_null();
    const std::uint64_t ticket = context != nullptr ? context->release_slot() : 0;
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
    if (ticket != 0 && !(error && is_cancellation(error))) {
        co_await context->reclaim_slot(ticket);
    }
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>) {
        co_return std::move(*value);
    }
}

}  // namespace worker_detail

template <class T>
task<T> without_slot(task<T> t) {
    return worker_detail::await_without_slot<T>(std::move(t));
}
template <class T>
task<T> without_slot(future<T> f) {
    return worker_detail::await_without_slot<T>(std::move(f));
}
template <class T>
task<T> without_slot(remote_future<T> f) {
    return worker_detail::await_without_slot<T>(std::move(f));
}

// Submits def(args...) through the worker's client and awaits it without holding a slot.
template <class R, class... Args>
task<R> subtask(const task_def<R(Args...)>& def, std::type_identity_t<Args>... args) {
    remote_future<R> child = worker_context::current().client().submit(def, std::move(args)...);
    if constexpr (std::is_void_v<R>) {
        co_await without_slot(std::move(child));
    } else {
        co_return co_await without_slot(std::move(child));
    }
}

}  // namespace shoal
