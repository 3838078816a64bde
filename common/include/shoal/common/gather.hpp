#pragma once
// shoal::gather: runs awaitables concurrently and collects their results in argument order
// (asyncio.gather). Accepts future<T> and lazy task<T> (started with create_task).
//
//   auto [a, b] = co_await shoal::gather(fetch(1), fetch(2));            // tuple, variadic
//   std::vector<int> all = co_await shoal::gather(std::move(futures));   // range
//   auto outcomes = co_await shoal::gather(shoal::return_exceptions, f, g);  // outcome<T> each
//
// The result is a future: without return_exceptions it fails with the first child exception
// (other children keep running); a cancelled child counts as a cancelled_error. Cancelling the
// gather cancels every child that is not done, and the gather ends cancelled. void children
// yield std::monostate.

#include <cstddef>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "shoal/common/detail/awaitable.hpp"
#include "shoal/common/detail/loop_future_state.hpp"
#include "shoal/common/detail/ref_ptr.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/outcome.hpp"
#include "shoal/common/task.hpp"

namespace shoal {

struct return_exceptions_t {
    explicit return_exceptions_t() = default;
};
inline constexpr return_exceptions_t return_exceptions{};

namespace detail {

// The gathering future: counts finished children and assembles the result when the last one
// is done. One callback per child, so the cost is O(children) in total.
template <class R>
class gather_state final : public future_state<R> {
  public:
    gather_state(event_loop* loop, std::vector<ref_ptr<future_base>> children,
                 bool return_exceptions, unique_function<R()> assemble)
        : future_state<R>(loop),
          children_(std::move(children)),
          remaining_(children_.size()),
          return_exceptions_(return_exceptions),
          assemble_(std::move(assemble)) {
        for (const auto& child : children_) this->mark_remote_if(*child);
    }

    void start() {
        if (children_.empty()) {
            this->set_result_unchecked(assemble_());
            return;
        }
        for (auto& child : children_) {
            child->add_callback(
                [self = ref_ptr<gather_state>(this)](future_base& c) { self->on_child_done(c); });
        }
    }

    bool cancel(const std::string& message) override {
        if (this->done()) {
            return false;
        }
        bool any = false;
        for (auto& child : children_) {
            any = child->cancel(message) || any;
        }
        if (any) {
            cancel_requested_ = true;
            cancel_message_ = message;
        }
        return any;
    }

  private:
    void on_child_done(future_base& child) {
        --remaining_;
        if (this->done()) {
            child.mark_retrieved();  // the gather already failed; nobody will look at this one
            return;
        }
        if (!return_exceptions_ && !cancel_requested_) {
            if (child.cancelled()) {
                future_base::set_exception(child.make_cancelled_error());
                children_.clear();  // children hold us through their callbacks: no cycle
                return;
            }
            if (child.has_exception()) {
                future_base::set_exception(child.exception());
                children_.clear();
                return;
            }
        }
        if (remaining_ == 0) {
            if (cancel_requested_) {
                future_base::cancel(cancel_message_);
            } else {
                this->set_result_unchecked(assemble_());
            }
            children_.clear();  // drop references as soon as the result is built
        }
    }

    std::vector<ref_ptr<future_base>> children_;
    std::size_t remaining_;
    bool return_exceptions_;
    bool cancel_requested_ = false;
    std::string cancel_message_;
    unique_function<R()> assemble_;
};

template <class R>
future<R> start_gather(event_loop& loop, std::vector<ref_ptr<future_base>> children,
                       bool return_exceptions, unique_function<R()> assemble) {
    auto st = make_ref<gather_state<R>>(&loop, std::move(children), return_exceptions,
                                        std::move(assemble));
    st->start();
    return future<R>(ref_ptr<future_state<R>>(st));
}

template <class T>
outcome<T> outcome_of(future<T>& f) {
    if (f.cancelled()) {
        return outcome<T>(f.state().make_cancelled_error());
    }
    if (std::exception_ptr e = f.exception()) {
        return outcome<T>(e);
    }
    return outcome<T>(copy_value(f));
}

template <class First, class... Rest>
event_loop& gather_loop(const First& first, const Rest&... rest) {
    if constexpr (requires { first.get_loop(); }) {
        return first.get_loop();
    } else if constexpr (sizeof...(Rest) > 0) {
        return gather_loop(rest...);
    } else {
        return event_loop::current();
    }
}

template <class Tuple>
std::vector<ref_ptr<future_base>> children_of(const Tuple& futures) {
    return std::apply(
        [](const auto&... f) {
            return std::vector<ref_ptr<future_base>>{ref_ptr<future_base>(f.state_ptr())...};
        },
        futures);
}

template <class T>
std::vector<ref_ptr<future_base>> children_of(const std::vector<future<T>>& futures) {
    std::vector<ref_ptr<future_base>> out;
    out.reserve(futures.size());
    for (const auto& f : futures) {
        out.emplace_back(f.state_ptr());
    }
    return out;
}

template <class T>
std::vector<future<T>> start_all(std::vector<task<T>>&& tasks, event_loop& loop) {
    std::vector<future<T>> out;
    out.reserve(tasks.size());
    for (auto& t : tasks) {
        out.push_back(loop.create_task(std::move(t)));
    }
    return out;
}

}  // namespace detail

// Variadic: a future of a tuple of results, in argument order.
template <class A, class... As>
auto gather(A&& first, As&&... rest)
    -> future<std::tuple<detail::stored_t<detail::awaitable_result_t<A>>,
                         detail::stored_t<detail::awaitable_result_t<As>>...>> {
    using R = std::tuple<detail::stored_t<detail::awaitable_result_t<A>>,
                         detail::stored_t<detail::awaitable_result_t<As>>...>;
    event_loop& loop = detail::gather_loop(first, rest...);
    // Braced initialisation runs left to right, so lazy tasks start in argument order, as in
    // asyncio.gather; make_tuple's arguments have no fixed order (GCC goes right to left).
    std::tuple<future<detail::awaitable_result_t<A>>, future<detail::awaitable_result_t<As>>...>
        futures{detail::as_future(std::forward<A>(first), loop),
                detail::as_future(std::forward<As>(rest), loop)...};
    auto children = detail::children_of(futures);
    return detail::start_gather<R>(loop, std::move(children), false, [futures]() mutable {
        return std::apply([](auto&... f) { return R(detail::copy_value(f)...); }, futures);
    });
}

// Variadic with return_exceptions: a future of a tuple of outcome<T>.
template <class A, class... As>
auto gather(return_exceptions_t, A&& first, As&&... rest)
    -> future<std::tuple<outcome<detail::awaitable_result_t<A>>,
                         outcome<detail::awaitable_result_t<As>>...>> {
    using R = std::tuple<outcome<detail::awaitable_result_t<A>>,
                         outcome<detail::awaitable_result_t<As>>...>;
    event_loop& loop = detail::gather_loop(first, rest...);
    // Braced initialisation runs left to right, so lazy tasks start in argument order, as in
    // asyncio.gather; make_tuple's arguments have no fixed order (GCC goes right to left).
    std::tuple<future<detail::awaitable_result_t<A>>, future<detail::awaitable_result_t<As>>...>
        futures{detail::as_future(std::forward<A>(first), loop),
                detail::as_future(std::forward<As>(rest), loop)...};
    auto children = detail::children_of(futures);
    return detail::start_gather<R>(loop, std::move(children), true, [futures]() mutable {
        return std::apply([](auto&... f) { return R(detail::outcome_of(f)...); }, futures);
    });
}

// Range of futures: a future of a vector of results, in input order.
template <class T>
future<std::vector<detail::stored_t<T>>> gather(std::vector<future<T>> futures) {
    using R = std::vector<detail::stored_t<T>>;
    event_loop& loop = futures.empty() ? event_loop::current() : futures.front().get_loop();
    auto children = detail::children_of(futures);
    return detail::start_gather<R>(loop, std::move(children), false,
                                   [futures = std::move(futures)]() mutable {
                                       R out;
                                       out.reserve(futures.size());
                                       for (auto& f : futures) out.push_back(detail::copy_value(f));
                                       return out;
                                   });
}

template <class T>
future<std::vector<outcome<T>>> gather(return_exceptions_t, std::vector<future<T>> futures) {
    using R = std::vector<outcome<T>>;
    event_loop& loop = futures.empty() ? event_loop::current() : futures.front().get_loop();
    auto children = detail::children_of(futures);
    return detail::start_gather<R>(loop, std::move(children), true,
                                   [futures = std::move(futures)]() mutable {
                                       R out;
                                       out.reserve(futures.size());
                                       for (auto& f : futures) out.push_back(detail::outcome_of(f));
                                       return out;
                                   });
}

// Range of lazy tasks: each is started on the running loop.
template <class T>
future<std::vector<detail::stored_t<T>>> gather(std::vector<task<T>> tasks) {
    return gather(detail::start_all(std::move(tasks), event_loop::current()));
}

template <class T>
future<std::vector<outcome<T>>> gather(return_exceptions_t tag, std::vector<task<T>> tasks) {
    return gather(tag, detail::start_all(std::move(tasks), event_loop::current()));
}

}  // namespace shoal
