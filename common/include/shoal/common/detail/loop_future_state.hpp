#pragma once
// The shared state behind shoal::future<T> (the loop-bound, asyncio-style future).
// future_base holds everything that does not depend on T (status, exception, callbacks) so
// that combinators (gather, wait, as_completed) and the task driver work on futures of any
// type. (The thread-safe concurrent::future has its own state in future_state.hpp.)

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "shoal/common/detail/ref_ptr.hpp"
#include "shoal/common/detail/small_object_pool.hpp"
#include "shoal/common/detail/unique_function.hpp"
#include "shoal/common/errors.hpp"

namespace shoal {
class event_loop;
}

namespace shoal::detail {

class task_driver;

enum class future_status : std::uint8_t { pending, cancelled, finished };

class future_base : public ref_counted, public pool_allocated {
  public:
    using done_callback = unique_function<void(future_base&)>;

    explicit future_base(event_loop* loop) noexcept : loop_(loop) {}
    future_base(const future_base&) = delete;
    future_base& operator=(const future_base&) = delete;
    // Reports an exception that nobody retrieved to the loop's exception handler.
    ~future_base() override {
        if (log_unretrieved_) report_unretrieved();
    }

    event_loop& loop() const noexcept { return *loop_; }
    future_status status() const noexcept { return status_; }
    bool done() const noexcept { return status_ != future_status::pending; }
    bool cancelled() const noexcept { return status_ == future_status::cancelled; }
    bool has_exception() const noexcept { return static_cast<bool>(exception_); }

    // asyncio's Future.cancel: pending -> cancelled, callbacks scheduled. Tasks and
    // gathering futures override it to pass the request on.
    virtual bool cancel(const std::string& message);
    // The task driving this future, if it is a task's handle.
    virtual task_driver* as_task_driver() noexcept { return nullptr; }
    // Settling a task from outside is refused, as asyncio refuses Task.set_result.
    void check_settleable() const {
        if (is_task_) throw_task_not_settleable();
    }

    void set_exception(std::exception_ptr e);
    // asyncio's Future.exception(): throws invalid_state_error while pending and
    // cancelled_error once cancelled; marks the exception as retrieved.
    std::exception_ptr exception();
    // Throws what result() must throw for a non-value outcome; marks retrieval.
    void throw_if_not_value() {
        if (status_ != future_status::finished || exception_) throw_not_value();
    }
    // A cancelled_error carrying the cancel message.
    std::exception_ptr make_cancelled_error() const;
    // Marks the exception as seen so that it is not reported as lost.
    void mark_retrieved() noexcept { log_unretrieved_ = false; }

    // Settled by work outside this process (a remote task): a task of a loop with a remote
    // wait host that waits on it tells the host (remote_wait_host.hpp). A future made from
    // others (gather, wait, as_completed, wait_for) is remote if one of them is.
    bool remote() const noexcept { return remote_; }
    void mark_remote() noexcept { remote_ = true; }
    void mark_remote_if(const future_base& input) noexcept { remote_ = remote_ || input.remote_; }

    // Callbacks run via call_soon once the future is done (scheduled at once if already
    // done); never inside set_result. Returns an id for remove_callback.
    std::uint64_t add_callback(done_callback cb);
    std::size_t remove_callback(std::uint64_t id);
    // Destroys the callbacks without running them (the loop closed before they could run).
    // Callbacks often hold whoever waits on this future, which may hold this future: not
    // dropping them would leak both.
    void drop_callbacks() noexcept;
    // Runs the callbacks of a done future; called from the ready entry finish() scheduled.
    void run_callbacks() noexcept;

  protected:
    // Moves the state to done and schedules the callbacks (if any: most resolved futures
    // have none yet, and that path stays inline).
    void finish(future_status status) {
        status_ = status;
        if (has_callbacks()) schedule_callbacks();
    }
    // For task states: refuse set_result/set_exception from outside.
    void mark_as_task() noexcept { is_task_ = true; }

  private:
    struct callback_entry {
        std::uint32_t id;
        done_callback fn;
    };
    void schedule_one(done_callback cb);
    void schedule_callbacks();
    [[noreturn]] static void throw_task_not_settleable();
    [[noreturn]] void throw_not_value();
    void report_unretrieved() noexcept;
    bool has_callbacks() const noexcept { return static_cast<bool>(first_fn_) || more_callbacks_; }

    // Layout: the flags first fill the tail padding of ref_counted; the whole state is
    // 88 bytes, which matters when 100,000 tasks sleep at once.
    future_status status_ = future_status::pending;
    bool log_unretrieved_ = false;      // an exception was set and nobody looked at it
    bool exception_from_task_ = false;  // virtual calls are unsafe in the destructor
    bool is_task_ : 1 = false;          // a task's handle: not settleable from outside
    bool remote_ : 1 = false;           // see remote()
    std::uint32_t next_callback_id_ = 1;
    std::uint32_t first_id_ = 0;
    event_loop* loop_;
    std::exception_ptr exception_;
    std::unique_ptr<std::string> cancel_message_;  // set by cancel(); rare, so kept out of line
    // Most futures have exactly one waiter (the awaiting task): keep it inline.
    done_callback first_fn_;
    std::unique_ptr<std::vector<callback_entry>> more_callbacks_;
};

// Storage type for a future's value: void futures store nothing.
template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
class future_state : public future_base {
  public:
    using future_base::future_base;

    template <class... U>
    void set_result(U&&... value) {
        check_settleable();
        set_result_unchecked(std::forward<U>(value)...);
    }
    template <class... U>
    void set_result_unchecked(U&&... value) {
        if (done()) {
            throw invalid_state_error("invalid state: the future is already done");
        }
        value_.emplace(std::forward<U>(value)...);
        finish(future_status::finished);
    }
    // The value; only valid after throw_if_not_value() passed.
    stored_t<T>& value() noexcept { return *value_; }

  private:
    std::optional<stored_t<T>> value_;
};

}  // namespace shoal::detail
