#pragma once
// shoal::task<T>: the lazy coroutine type. A task does nothing until awaited (by another
// coroutine) or handed to event_loop::create_task, which runs it eagerly and returns its
// handle, a future<T>. Move-only; awaited once.
//
//   shoal::task<int> add(int a, int b) { co_await shoal::sleep(0.1); co_return a + b; }
//   int r = loop.run_until_complete(add(1, 2));

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

#include "shoal/common/detail/small_object_pool.hpp"
#include "shoal/common/detail/task_driver.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"

namespace shoal {

template <class T>
class task;

namespace detail {

template <class T>
class task_promise_base : public pool_allocated {
  public:
    std::suspend_always initial_suspend() const noexcept { return {}; }

    struct final_awaiter {
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept {
            auto next = h.promise().continuation_;
            return next ? next : std::noop_coroutine();
        }
        void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() const noexcept { return {}; }

    void unhandled_exception() noexcept { result_.template emplace<2>(std::current_exception()); }

    // The outcome, once; rethrows the coroutine's exception.
    stored_t<T> take_result() {
        if (result_.index() == 2) {
            std::exception_ptr e = std::get<2>(result_);
            result_.template emplace<0>();
            std::rethrow_exception(e);
        }
        if (result_.index() == 0) {
            throw invalid_state_error("task result already taken or task not finished");
        }
        stored_t<T> v = std::move(std::get<1>(result_));
        result_.template emplace<0>();
        return v;
    }

    std::coroutine_handle<> continuation_;

  protected:
    std::variant<std::monostate, stored_t<T>, std::exception_ptr> result_;
};

template <class T>
class task_promise : public task_promise_base<T> {
  public:
    task<T> get_return_object() noexcept;
    template <class U = T>
    void return_value(U&& v) {
        this->result_.template emplace<1>(std::forward<U>(v));
    }
};

template <>
class task_promise<void> : public task_promise_base<void> {
  public:
    task<void> get_return_object() noexcept;
    void return_void() noexcept { this->result_.template emplace<1>(); }
};

template <class T>
class task_state;

}  // namespace detail

template <class T = void>
class [[nodiscard]] task {
  public:
    using promise_type = detail::task_promise<T>;
    using handle_type = std::coroutine_handle<promise_type>;
    using value_type = T;

    task() noexcept = default;
    explicit task(handle_type h) noexcept : h_(h) {}
    task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    task& operator=(task&& o) noexcept {
        if (this != &o) {
            reset();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    ~task() { reset(); }

    bool valid() const noexcept { return static_cast<bool>(h_); }
    bool done() const noexcept { return h_ && h_.done(); }

    class awaiter {
      public:
        explicit awaiter(handle_type h) noexcept : h_(h) {}
        bool await_ready() const noexcept { return !h_ || h_.done(); }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
            h_.promise().continuation_ = caller;
            return h_;  // symmetric transfer: start the lazy task on this thread, now
        }
        T await_resume() {
            if (!h_) {
                throw invalid_state_error("awaiting an empty task");
            }
            if constexpr (std::is_void_v<T>) {
                h_.promise().take_result();
            } else {
                return h_.promise().take_result();
            }
        }

      private:
        handle_type h_;
    };

    awaiter operator co_await() && noexcept { return awaiter(h_); }
    awaiter operator co_await() & noexcept { return awaiter(h_); }

    // For the runtime: the coroutine handle, still owned by this task.
    handle_type handle() const noexcept { return h_; }

  private:
    void reset() noexcept {
        if (h_) {
            std::exchange(h_, {}).destroy();
        }
    }
    handle_type h_;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
    return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
    return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}

// The eager task: future state + driver + the coroutine it owns.
template <class T>
class task_state final : public future_state<T>, public task_driver {
  public:
    task_state(event_loop* loop, task<T> t)
        : future_state<T>(loop), task_driver(*loop), task_(std::move(t)) {
        top_ = task_.handle();
        resume_point_ = top_;
        this->mark_as_task();
    }
    ~task_state() override {
        // Still registered and pending: close() dropped the timer or queued step that held
        // the last reference. Report it as abandon() does (asyncio's Task.__del__).
        if (registered_ && !this->done()) {
            loop_->call_exception_handler(
                exception_context{"Task was destroyed but it is pending!", {}});
        }
        unregister();
    }

    bool cancel(const std::string& message) override {
        return !this->done() && request_cancel(message);
    }
    task_driver* as_task_driver() noexcept override { return this; }
    void start() { step(); }

  protected:
    future_base& self() noexcept override { return *this; }

    void on_finished() noexcept override {
        unregister();
        if (!task_.done()) {  // cancelled before it ever ran
            destroy_coroutine();
            future_base::cancel(pending_cancel_message());
            return;
        }
        try {
            if constexpr (std::is_void_v<T>) {
                task_.handle().promise().take_result();
                this->set_result_unchecked();
            } else {
                this->set_result_unchecked(task_.handle().promise().take_result());
            }
        } catch (const cancelled_error& e) {
            future_base::cancel(e.what());
        } catch (...) {
            future_base::set_exception(std::current_exception());
        }
        destroy_coroutine();
    }

    void destroy_coroutine() noexcept override {
        task_ = task<T>();
        top_ = {};
        resume_point_ = {};
    }

  private:
    task<T> task_;
};

}  // namespace detail

template <class T>
future<T> event_loop::create_task(task<T> t) {
    check_open();
    if (!t.valid()) {
        throw invalid_state_error("create_task of an empty task");
    }
    auto st = detail::make_ref<detail::task_state<T>>(this, std::move(t));
    register_task(st.get());
    call_soon([st] { st->start(); });
    return future<T>(detail::ref_ptr<detail::future_state<T>>(st));
}

// name is moved into name_task: clang-tidy 14 misreads the dependent call as a copy.
template <class T>
// NOLINTNEXTLINE(performance-unnecessary-value-param)
future<T> event_loop::create_task(task<T> t, std::string name) {
    future<T> handle = create_task(std::move(t));
    name_task(*handle.state().as_task_driver(), std::move(name));
    return handle;
}

template <class T>
T event_loop::run_until_complete(future<T> f) {
    check_open();
    if (running_) {
        throw event_loop_error("This event loop is already running");
    }
    const auto id = f.add_done_callback([this](future<T>) { stop(); });
    run_forever();
    f.remove_done_callback(id);
    if (!f.done()) {
        throw event_loop_error("Event loop stopped before Future completed.");
    }
    return detail::take_result(f);
}

template <class T>
T event_loop::run_until_complete(task<T> t) {
    return run_until_complete(create_task(std::move(t)));
}

}  // namespace shoal
