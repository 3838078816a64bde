#pragma once
// shoal::future<T>: asyncio's Future for one event loop. Three states (pending, cancelled,
// finished with a value or an exception); settling twice is an error; done-callbacks are
// scheduled with call_soon, never run inside set_result; an exception nobody retrieved is
// reported to the loop's exception handler when the last handle goes away.
//
// A future is a cheap handle: copies share one state. Loop thread only; a future must not
// outlive its loop. co_await a future inside a task to suspend until it is done.

#include <coroutine>
#include <cstdint>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include "shoal/common/detail/loop_future_state.hpp"
#include "shoal/common/detail/ref_ptr.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"

namespace shoal {

namespace detail {
template <class T>
class future_awaiter;
}

template <class T = void>
class future {
  public:
    using value_type = T;

    future() = default;
    explicit future(detail::ref_ptr<detail::future_state<T>> state) : state_(std::move(state)) {}

    bool valid() const noexcept { return static_cast<bool>(state_); }
    bool done() const { return state().done(); }
    bool cancelled() const { return state().cancelled(); }
    // Requests cancellation: a plain future becomes cancelled; a task gets cancelled_error
    // at its next suspension. Returns false if already done.
    bool cancel(const std::string& message = {}) { return state().cancel(message); }

    // The value. Throws invalid_state_error while pending, cancelled_error if cancelled,
    // or the stored exception. The reference lives as long as the future's state.
    std::add_lvalue_reference_t<detail::stored_t<T>> result() {
        state().throw_if_not_value();
        return state().value();
    }
    // The stored exception (null if finished with a value). Throws invalid_state_error while
    // pending, cancelled_error if cancelled.
    std::exception_ptr exception() { return state().exception(); }

    // Throws invalid_state_error if already done, or if this future is a task's handle.
    template <class... U>
    void set_result(U&&... value) {
        state().set_result(std::forward<U>(value)...);
    }
    void set_exception(std::exception_ptr e) {
        state().check_settleable();
        state().set_exception(std::move(e));
    }
    template <class E,
              class = std::enable_if_t<!std::is_same_v<std::decay_t<E>, std::exception_ptr>>>
    void set_exception(E&& e) {
        set_exception(std::make_exception_ptr(std::forward<E>(e)));
    }

    // fn(future<T>) runs via call_soon once done; exactly once. Returns an id for
    // remove_done_callback (C++ callables cannot be compared, unlike Python's).
    template <class F>
    std::uint64_t add_done_callback(F fn) {
        return state().add_callback([fn = std::move(fn)](detail::future_base& b) mutable {
            fn(future(detail::ref_ptr<detail::future_state<T>>(
                static_cast<detail::future_state<T>*>(&b))));
        });
    }
    // Removes a callback that has not been scheduled yet; returns how many were removed.
    std::size_t remove_done_callback(std::uint64_t id) { return state().remove_callback(id); }

    event_loop& get_loop() const { return state().loop(); }

    detail::future_awaiter<T> operator co_await() const noexcept;

    // For the runtime's own combinators.
    detail::future_state<T>& state() const {
        if (!state_) {
            throw invalid_state_error("future has no state (default-constructed or moved-from)");
        }
        return *state_;
    }
    const detail::ref_ptr<detail::future_state<T>>& state_ptr() const noexcept { return state_; }

  private:
    detail::ref_ptr<detail::future_state<T>> state_;
};

namespace detail {
// The result of a done future as a value: copied when T is copyable (others may read it
// too), moved out otherwise.
template <class T>
T take_result(future<T>& f) {
    if constexpr (std::is_void_v<T>) {
        f.result();
    } else if constexpr (std::is_copy_constructible_v<T>) {
        return f.result();
    } else {
        return std::move(f.result());
    }
}
}  // namespace detail

template <class T>
future<T> event_loop::create_future() {
    check_open();
    return future<T>(detail::make_ref<detail::future_state<T>>(this));
}

}  // namespace shoal

#include "shoal/common/detail/task_driver.hpp"

namespace shoal::detail {

// co_await future: no suspension if already done (asyncio does not yield either);
// otherwise the current task sleeps until the future is done.
template <class T>
class future_awaiter {
  public:
    explicit future_awaiter(ref_ptr<future_state<T>> s) noexcept : state_(std::move(s)) {}

    bool await_ready() const noexcept { return state_->done(); }
    void await_suspend(std::coroutine_handle<> h) {
        task_driver::require_current().wait_on_future(*state_, h);
        suspended_ = true;
    }
    T await_resume() {
        if (suspended_) {
            task_driver::require_current().throw_if_cancel_requested();
        }
        state_->throw_if_not_value();
        if constexpr (!std::is_void_v<T>) {
            if constexpr (std::is_copy_constructible_v<T>) {
                return state_->value();
            } else {
                return std::move(state_->value());
            }
        }
    }

  private:
    ref_ptr<future_state<T>> state_;
    bool suspended_ = false;
};

}  // namespace shoal::detail

namespace shoal {
template <class T>
detail::future_awaiter<T> future<T>::operator co_await() const noexcept {
    return detail::future_awaiter<T>(state_);
}
}  // namespace shoal
