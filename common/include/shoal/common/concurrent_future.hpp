#pragma once
// shoal::concurrent::future<T>: the thread-safe future returned by the executors, with
// Python's concurrent.futures.Future semantics.
//
// States: pending -> running -> finished, or pending -> cancelled. A handle is a cheap,
// copyable reference to shared state; copies observe and settle the same future. A
// default-constructed handle is empty (valid() == false) and every other member throws
// invalid_state_error on it.
//
// Thread-safety: every member may be called from any thread at the same time.
// Callbacks: add_done_callback's function runs exactly once, in the thread that settles or
// cancels the future, or at once in the calling thread if the future is already done (Python's
// rule). A callback's exception is logged and swallowed. Callbacks must be copyable.
// On a thread that runs an event loop, result()/exception() of a pending future (unless the
// timeout is zero) throw event_loop_error at once rather than block the loop: co_await it in a
// task instead, or block in a pool thread via loop.run_in_executor.
// Errors: result()/exception() throw timeout_error when the timeout passes first and
// cancelled_error on a cancelled future; result() rethrows the stored exception; settling a
// settled or cancelled future throws invalid_state_error.

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "shoal/common/detail/deadline.hpp"
#include "shoal/common/detail/future_state.hpp"
#include "shoal/common/errors.hpp"

namespace shoal::concurrent {

template <class T>
class future;

namespace detail {
// The door through which wait(), as_completed() and the factories reach a handle's state.
struct future_access {
    template <class T>
    static future_state_base& base(const future<T>& f) {
        return f.checked_state();
    }
    template <class T>
    static future<T> from_base(future_state_base& state) {
        return future<T>(std::static_pointer_cast<future_state<T>>(state.shared_from_this()));
    }
    template <class T>
    static future<T> make() {
        return future<T>(std::make_shared<future_state<T>>());
    }
};
}  // namespace detail

template <class T>
class future {
  public:
    using value_type = T;

    // An empty handle; use make_future<T>() or an executor to get a live one.
    future() noexcept = default;

    bool valid() const noexcept { return state_ != nullptr; }

    // Blocks until done (at most timeout_seconds if given), then returns a copy of the value.
    T result(std::optional<double> timeout_seconds = {}) const {
        return checked_state().result(detail::deadline_after(timeout_seconds));
    }
    // Blocks like result(); returns the stored exception, or nullptr after a value.
    std::exception_ptr exception(std::optional<double> timeout_seconds = {}) const {
        return checked_state().exception(detail::deadline_after(timeout_seconds));
    }

    // Cancels a pending future; false if it is running or finished, true if cancelled.
    bool cancel() const { return checked_state().cancel(); }
    bool cancelled() const { return checked_state().cancelled(); }
    bool running() const { return checked_state().running(); }
    bool done() const { return checked_state().done(); }

    // fn(future<T>) runs once when the future is done (see the header comment).
    template <class F>
    void add_done_callback(F&& fn) const {
        static_assert(std::is_invocable_v<std::decay_t<F>&, future<T>>,
                      "a done callback takes the future<T> it is attached to");
        checked_state().add_done_callback(
            [fn = std::forward<F>(fn)](detail::future_state_base& state) mutable {
                fn(detail::future_access::from_base<T>(state));
            });
    }

    // For executors: marks a pending future running and returns true, or returns false if it
    // was cancelled (the work must then be skipped). Throws invalid_state_error otherwise.
    bool set_running_or_notify_cancel() const {
        return checked_state().set_running_or_notify_cancel();
    }
    template <class U = T>
    requires(!std::is_void_v<U>) void set_result(std::type_identity_t<U> value) const {
        checked_state().set_result(std::move(value));
    }
    void set_result() const requires std::is_void_v<T> { checked_state().set_result(); }
    void set_exception(std::exception_ptr error) const {
        checked_state().set_exception(std::move(error));
    }
    // The same, for a producer that may lose a race to cancel() or to another producer: false
    // (and nothing set) if the future is already done, instead of invalid_state_error.
    template <class U = T>
    requires(!std::is_void_v<U>) bool try_set_result(std::type_identity_t<U> value) const {
        try {
            set_result(std::move(value));
            return true;
        } catch (const invalid_state_error&) {
            return false;
        }
    }
    bool try_set_result() const requires std::is_void_v<T> {
        try {
            set_result();
            return true;
        } catch (const invalid_state_error&) {
            return false;
        }
    }
    bool try_set_exception(std::exception_ptr error) const {
        try {
            set_exception(std::move(error));
            return true;
        } catch (const invalid_state_error&) {
            return false;
        }
    }

    // Handles are equal when they share one state (or are both empty).
    friend bool operator==(const future& a, const future& b) noexcept {
        return a.state_ == b.state_;
    }

  private:
    friend struct detail::future_access;

    explicit future(std::shared_ptr<detail::future_state<T>> state) noexcept
        : state_(std::move(state)) {}

    detail::future_state<T>& checked_state() const {
        if (!state_) {
            throw invalid_state_error("empty concurrent::future (default-constructed)");
        }
        return *state_;
    }

    std::shared_ptr<detail::future_state<T>> state_;
};

// A new pending future, for code that settles it itself (Python's Future()).
template <class T>
future<T> make_future() {
    return detail::future_access::make<T>();
}

// A future already finished with `value`.
template <class T>
future<std::decay_t<T>> make_ready_future(T&& value) {
    auto f = make_future<std::decay_t<T>>();
    f.set_result(std::forward<T>(value));
    return f;
}

inline future<void> make_ready_future() {
    auto f = make_future<void>();
    f.set_result();
    return f;
}

// A future already finished with `error`.
template <class T>
future<T> make_exceptional_future(std::exception_ptr error) {
    auto f = make_future<T>();
    f.set_exception(std::move(error));
    return f;
}

}  // namespace shoal::concurrent
