#pragma once
// shoal::remote_future<T>: the result of a task running somewhere in the cluster.
//
//   shoal::remote_future<int> f = client.submit(add, 2, 3);
//   int v = f.get(5.0);               // blocks up to 5 s: timeout_error after that
//   f.add_done_callback([](shoal::remote_future<int> done) { ... });
//   int w = co_await f;               // inside a task on any shoal::event_loop
//
// A handle is cheap to copy; copies share one state. It is built on the thread-safe
// concurrent::future<T> (as_concurrent(), or the implicit conversion), so remote futures and
// local pool futures mix in concurrent::wait, concurrent::as_completed and concurrent::gather.
//
// Errors from get()/exception(): timeout_error (the timeout passed first), cancelled_error
// (revoked), remote_task_error (the task raised; type(), what(), where()), task_refused,
// unknown_task_error, task_lost_error, broker_error, client_closed_error, and task_error of
// type "shoal::result_error" when the result does not convert to T. See errors.hpp.
// get()/wait()/exception() on a pending future from a thread that runs an event loop (a loop
// task, a worker's run_on::loop task) throw event_loop_error at once: blocking there would
// stall the whole loop. co_await the future instead, or block in a pool thread via
// loop.run_in_executor. A done future, or a zero timeout, never blocks and is allowed.
//
// Thread-safety: every member may be called from any thread. Done callbacks run exactly once:
// on the client's I/O thread when the answer arrives, in the thread that calls cancel(), or
// at once in the calling thread if the future is already done. A callback must not block
// (it holds up every other result) and must not close the client; it may submit. Waiting
// there for a pending remote future throws invalid_state_error instead of hanging.

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "shoal/client/detail/remote_state.hpp"
#include "shoal/client/remote_status.hpp"
#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/detail/loop_bound_ref.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"
#include "shoal/proto/task_id.hpp"

namespace shoal {

template <class T>
class remote_future {
  public:
    using value_type = T;

    // An empty handle (valid() == false); every other member throws invalid_state_error.
    remote_future() noexcept = default;
    explicit remote_future(std::shared_ptr<detail::remote_state<T>> state) noexcept
        : state_(std::move(state)) {}

    bool valid() const noexcept { return state_ != nullptr; }
    // The task's id: give it to another process to fetch the result (client::fetch).
    const proto::task_id& id() const { return state().id(); }
    remote_status status() const { return state().status(); }

    // Blocks until done (at most timeout_seconds if given); returns the value or throws.
    T get(std::optional<double> timeout_seconds = {}) const {
        state().check_can_block(timeout_seconds);
        return state().future().result(timeout_seconds);
    }
    // Blocks until done (at most timeout_seconds); returns done().
    bool wait(std::optional<double> timeout_seconds = {}) const {
        state().check_can_block(timeout_seconds);
        return state().base().wait(concurrent::detail::deadline_after(timeout_seconds));
    }
    bool done() const { return state().future().done(); }
    bool cancelled() const { return state().future().cancelled(); }
    // Blocks like get(); the error the future failed with, or nullptr after a value.
    // Throws timeout_error, or cancelled_error once revoked.
    std::exception_ptr exception(std::optional<double> timeout_seconds = {}) const {
        state().check_can_block(timeout_seconds);
        return state().future().exception(timeout_seconds);
    }

    // Revokes the task: the future becomes cancelled at once and the broker is asked to drop
    // it (or stop it on its worker). False if it already finished with a value or an error;
    // true again on a revoked one (Python's rule). Cancelling the concurrent view
    // (as_concurrent().cancel()) only cancels locally: nothing is sent to the broker.
    bool cancel() const { return state().cancel(); }

    // fn(remote_future<T>) runs exactly once when done; see the header comment for where.
    // fn must be copyable.
    template <class F>
    void add_done_callback(F&& fn) const {
        static_assert(std::is_invocable_v<std::decay_t<F>&, remote_future<T>>,
                      "a done callback takes the remote_future<T> it is attached to");
        state().future().add_done_callback(
            [s = state_, fn = std::forward<F>(fn)](const concurrent::future<T>&) mutable {
                fn(remote_future<T>(s));
            });
    }

    // The thread-safe future underneath, for mixing with local executors' futures.
    const concurrent::future<T>& as_concurrent() const { return state().future(); }
    operator concurrent::future<T>() const {
        return as_concurrent();
    }  // NOLINT: implicit by design

    // co_await from a task on any event_loop (the running one): suspends that task, never
    // its thread. Cancelling the awaiting task revokes the remote task. An answer that
    // arrives after that loop was closed or destroyed is ignored.
    auto operator co_await() const;

    friend bool operator==(const remote_future& a, const remote_future& b) noexcept {
        return a.state_ == b.state_;
    }

  private:
    detail::remote_state<T>& state() const {
        if (!state_) {
            throw invalid_state_error("empty remote_future (default-constructed)");
        }
        return *state_;
    }

    std::shared_ptr<detail::remote_state<T>> state_;
};

// A loop future on `loop` that completes with the remote future (asyncio.wrap_future for
// remote tasks). Call on the loop's thread. Cancelling the loop future revokes the task.
template <class T>
future<T> wrap_future(const remote_future<T>& source, event_loop& loop) {
    future<T> target = loop.create_future<T>();
    target.state().mark_remote();  // a worker's task waiting on it gives its slot back
    target.add_done_callback([source](const future<T>& f) {
        if (f.cancelled()) source.cancel();
    });
    // concurrent callbacks live in a std::function (copyable): share the loop-bound ref.
    auto ref =
        std::make_shared<detail::loop_bound_ref<detail::future_state<T>>>(loop, target.state_ptr());
    source.as_concurrent().add_done_callback([ref](concurrent::future<T> done) {
        // Once the loop is closed or destroyed the post is refused: nothing to complete.
        ref->post([ref, done]() mutable {
            auto st = ref->take();
            if (!st || st->done()) return;  // cancelled on the loop side meanwhile
            if (done.cancelled()) {
                st->cancel("");
            } else if (std::exception_ptr e = done.exception()) {
                st->set_exception(e);
            } else if constexpr (std::is_void_v<T>) {
                st->set_result();
            } else {
                st->set_result(done.result());
            }
        });
    });
    return target;
}

template <class T>
auto remote_future<T>::operator co_await() const {
    return wrap_future(*this, event_loop::current()).operator co_await();
}

}  // namespace shoal
