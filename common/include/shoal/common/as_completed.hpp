#pragma once
// shoal::as_completed(futures, timeout): yields the futures as they complete (asyncio's
// as_completed, in the 3.13 form that yields the futures themselves). Futures already done
// come first, in input order. When the timeout passes with futures still pending, the
// next() waiting at that moment throws timeout_error; nothing is cancelled.
//
//   auto gen = shoal::as_completed(futures, 5.0);
//   while (auto f = co_await gen.next()) std::cout << f->result();

#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "shoal/common/async_generator.hpp"
#include "shoal/common/detail/done_callback_guard.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/handle.hpp"

namespace shoal {

namespace detail {

// Owned jointly by the generator and the callbacks it leaves on the futures, which may run
// after the generator is gone.
template <class T>
struct completion_queue {
    std::deque<future<T>> finished;
    future<void> wake;  // set when something finished or the deadline passed
    bool timed_out = false;
    void notify() {
        if (wake.valid() && !wake.done()) wake.set_result();
    }
};

}  // namespace detail

template <class T>
async_generator<future<T>> as_completed(std::vector<future<T>> fs,
                                        std::optional<double> timeout = std::nullopt) {
    if (fs.empty()) {
        co_return;
    }
    event_loop& loop = fs.front().get_loop();
    auto q = std::make_shared<detail::completion_queue<T>>();
    detail::done_callback_guard<T> guard(fs);
    bool remote = false;  // waiting on one of them is waiting on remote work
    for (std::size_t i = 0; i < fs.size(); ++i) {
        remote = remote || fs[i].state().remote();
        if (fs[i].done()) {
            q->finished.push_back(fs[i]);
        } else {
            guard.watch(i, [q](future<T> f) {
                q->finished.push_back(std::move(f));
                q->notify();
            });
        }
    }
    if (timeout) {
        guard.set_timer(loop.call_later(*timeout, [q] {
            q->timed_out = true;
            q->notify();
        }));
    }

    for (std::size_t yielded = 0; yielded < fs.size(); ++yielded) {
        while (q->finished.empty()) {
            if (q->timed_out) {
                throw timeout_error("as_completed: timed out with futures still pending");
            }
            q->wake = loop.create_future<void>();
            if (remote) q->wake.state().mark_remote();
            co_await q->wake;
        }
        future<T> next = std::move(q->finished.front());
        q->finished.pop_front();
        co_yield std::move(next);
    }
}

}  // namespace shoal
