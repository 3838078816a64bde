#pragma once
// co_await shoal::wait(futures, timeout, when): waits until the condition holds and returns
// {done, pending} (asyncio.wait). Never throws on timeout and never cancels anything; the
// futures keep their input order within each list. An empty input is a caller error
// (std::invalid_argument), as in asyncio.

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "shoal/common/detail/done_callback_guard.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/handle.hpp"
#include "shoal/common/return_when.hpp"
#include "shoal/common/task.hpp"

namespace shoal {

template <class T>
struct wait_result {
    std::vector<future<T>> done;
    std::vector<future<T>> pending;
};

namespace detail {

// True when `when` is satisfied by the futures' current states.
template <class T>
bool wait_condition_met(const std::vector<future<T>>& fs, return_when when) {
    std::size_t finished = 0;
    for (const auto& f : fs) {
        if (!f.done()) continue;
        ++finished;
        if (when == return_when::first_completed) return true;
        if (when == return_when::first_exception && !f.cancelled() && f.state().has_exception()) {
            return true;
        }
    }
    return finished == fs.size();
}

// Shared between the waiting coroutine and the callbacks it leaves on the futures. Callbacks
// already scheduled when the coroutine ends may still run, so they own this, not the frame.
struct wait_signal {
    future<void> wake;
    std::size_t pending;
    return_when when;
    void fire() {
        if (!wake.done()) wake.set_result();
    }
    void on_done(bool failed) {
        --pending;
        if (pending == 0 || when == return_when::first_completed ||
            (when == return_when::first_exception && failed)) {
            fire();
        }
    }
};

}  // namespace detail

template <class T>
task<wait_result<T>> wait(std::vector<future<T>> fs, std::optional<double> timeout = std::nullopt,
                          return_when when = return_when::all_completed) {
    if (fs.empty()) {
        throw std::invalid_argument("wait: the set of futures is empty");
    }
    if (!detail::wait_condition_met(fs, when) && (!timeout || *timeout > 0)) {
        event_loop& loop = fs.front().get_loop();
        std::size_t pending = 0;
        for (const auto& f : fs) pending += f.done() ? 0 : 1;
        auto signal = std::make_shared<detail::wait_signal>(
            detail::wait_signal{loop.create_future<void>(), pending, when});
        // Leave nothing behind, also when this coroutine is cancelled while waiting.
        detail::done_callback_guard<T> guard(fs);
        for (std::size_t i = 0; i < fs.size(); ++i) {
            if (fs[i].done()) continue;
            signal->wake.state().mark_remote_if(fs[i].state());
            guard.watch(i, [signal](const future<T>& f) {
                signal->on_done(!f.cancelled() && f.state().has_exception());
            });
        }
        if (timeout) {
            guard.set_timer(loop.call_later(*timeout, [signal] { signal->fire(); }));
        }
        co_await signal->wake;
    }
    wait_result<T> out;
    for (auto& f : fs) {
        (f.done() ? out.done : out.pending).push_back(std::move(f));
    }
    co_return out;
}

}  // namespace shoal
