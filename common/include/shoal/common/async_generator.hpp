#pragma once
// shoal::async_generator<T>: a coroutine that co_yields a stream of values and may co_await
// between them (Python's async generator; the seeds' Ticker). Lazy and move-only; it runs
// inside the task that consumes it, one step per next().
//
//   shoal::async_generator<int> ticker(double delay, int to) {
//       for (int i = 0; i < to; ++i) { co_yield i; co_await shoal::sleep(delay); }
//   }
//   auto gen = ticker(0.1, 10);
//   while (auto v = co_await gen.next()) use(*v);
//
// An exception escaping the body is rethrown by the next() that was waiting for a value.

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "shoal/common/detail/small_object_pool.hpp"
#include "shoal/common/errors.hpp"

namespace shoal {

template <class T>
class [[nodiscard]] async_generator {
  public:
    struct promise_type : detail::pool_allocated {
        // Hands control back to whoever awaited next(): on co_yield and at the end.
        struct to_consumer {
            bool await_ready() const noexcept { return false; }
            std::coroutine_handle<> await_suspend(
                std::coroutine_handle<promise_type> h) const noexcept {
                return h.promise().consumer_;
            }
            void await_resume() const noexcept {}
        };

        async_generator get_return_object() noexcept {
            return async_generator(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() const noexcept { return {}; }
        to_consumer final_suspend() const noexcept { return {}; }
        template <class U = T>
        to_consumer yield_value(U&& v) {
            current_.emplace(std::forward<U>(v));
            return {};
        }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { error_ = std::current_exception(); }

        std::optional<T> current_;
        std::exception_ptr error_;
        std::coroutine_handle<> consumer_;
    };
    using handle_type = std::coroutine_handle<promise_type>;

    async_generator() noexcept = default;
    async_generator(async_generator&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    async_generator& operator=(async_generator&& o) noexcept {
        if (this != &o) {
            reset();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    async_generator(const async_generator&) = delete;
    async_generator& operator=(const async_generator&) = delete;
    ~async_generator() { reset(); }

    class next_awaiter {
      public:
        explicit next_awaiter(handle_type h) noexcept : h_(h) {}
        bool await_ready() const noexcept { return !h_ || h_.done(); }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> consumer) noexcept {
            h_.promise().consumer_ = consumer;
            h_.promise().current_.reset();
            return h_;
        }
        // The next value, or nullopt once the generator has finished.
        std::optional<T> await_resume() {
            if (!h_) {
                throw invalid_state_error("next() on an empty async_generator");
            }
            auto& p = h_.promise();
            if (p.error_) {
                std::rethrow_exception(std::exchange(p.error_, nullptr));
            }
            if (h_.done()) {
                return std::nullopt;
            }
            return std::exchange(p.current_, std::nullopt);
        }

      private:
        handle_type h_;
    };

    // Runs the body to its next co_yield (or its end). Not to be awaited concurrently.
    next_awaiter next() noexcept { return next_awaiter(h_); }

  private:
    explicit async_generator(handle_type h) noexcept : h_(h) {}
    void reset() noexcept {
        if (h_) {
            std::exchange(h_, {}).destroy();
        }
    }
    handle_type h_;
};

}  // namespace shoal
