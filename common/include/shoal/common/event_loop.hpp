#pragma once
// event_loop: the single-threaded reactor every Shoal component runs on, with the names and
// semantics of Python's asyncio event loop.
//
// Thread-safety: an event_loop and everything bound to it (futures, tasks, handles) belong to
// the thread that runs it. The one door in from other threads is call_soon_threadsafe (and
// the helpers built on it: run_coroutine_threadsafe, wrapping concurrent futures). Code that
// may outlive the loop holds a loop_ref (threadsafe_ref()) instead of the loop: once the loop
// is closed or destroyed, late completions through it are refused, never a use-after-free.
//
// Slow steps (asyncio's debug-mode "Executing <Task> took 1.2 seconds"): one step, a callback
// or one resumption of a task, holds up every other task, timer and socket of the loop.
//
//   loop.set_slow_step_observer(0.1, shoal::event_loop::log_slow_step);  // or your own
//   loop.create_task(work(), "work#42");   // named: the report says which task it was
//
// Steps are timed only while an observer is set: then one clock read per callback and two
// per task step; with none set the cost is one branch. A threshold of 20 ticks or more (80 ms
// at 250 Hz) is timed by CLOCK_MONOTONIC_COARSE (a few ns a read instead of about 30 on a
// VM), a shorter one by steady_clock.
//
// Callback rules (from asyncio): callbacks run in FIFO order; callbacks scheduled while a
// pass runs wait for the next pass; a callback that throws is reported to the exception
// handler and the loop goes on; removing a reader or cancelling a timer inside a callback
// takes effect at once for the rest of the pass.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "shoal/common/clock.hpp"
#include "shoal/common/detail/timer_queue.hpp"
#include "shoal/common/detail/unique_function.hpp"
#include "shoal/common/handle.hpp"
#include "shoal/common/loop_ref.hpp"

namespace shoal {

template <class T>
class future;
template <class T>
class task;
class thread_pool_executor;

namespace detail {
class task_driver;
class remote_wait_host;
class loop_lifetime;
class loop_bound_ref_base;
}  // namespace detail

using callback = detail::unique_function<void()>;

// What went wrong, as asyncio's exception-handler context dict.
struct exception_context {
    std::string message;           // what the loop was doing, e.g. "Exception in callback"
    std::exception_ptr exception;  // may be null
};

// What a slow-step observer is told: one step ran `seconds` (at least the threshold).
struct slow_step {
    double seconds;
    // "task" (a task resumed and ran to its next suspension), "callback" or "I/O callback".
    const char* kind;
    // The task's name if it has one (create_task(t, name)); empty otherwise.
    std::string_view task_name;
    // Which task it was (its future's state().as_task_driver()); null for a callback. Lets an
    // observer that keeps its own table of tasks name one only when it is slow, instead of
    // paying for a name on every task.
    const detail::task_driver* task = nullptr;
};

class event_loop {
  public:
    using exception_handler = std::function<void(event_loop&, const exception_context&)>;
    using slow_step_observer = std::function<void(event_loop&, const slow_step&)>;

    // A loop on the steady clock.
    event_loop();
    // A loop on the given clock, which must outlive it (tests pass a manual clock).
    explicit event_loop(const clock& time_source);
    // Closes the loop if still open: pending callbacks are dropped and pending tasks'
    // coroutines destroyed (reported as "Task was destroyed but it is pending").
    ~event_loop();

    event_loop(const event_loop&) = delete;
    event_loop& operator=(const event_loop&) = delete;

    // --- scheduling (loop thread; throw event_loop_error once closed) ---
    handle call_soon(callback cb);
    timer_handle call_later(double delay_seconds, callback cb);
    timer_handle call_at(double when, callback cb);
    // Callable from any thread while the loop object exists: queues cb and wakes the loop (an
    // eventfd). Throws event_loop_error if the loop is closed.
    void call_soon_threadsafe(callback cb);
    // A thread-safe reference that outlives the loop safely (loop_ref.hpp): hand it, not the
    // loop, to threads that may still call in after the loop is gone. Any thread.
    loop_ref threadsafe_ref() const noexcept { return loop_ref(lifetime_); }
    // The loop's clock, in seconds.
    double time() const;

    // --- running ---
    // Runs until stop(). Throws event_loop_error if closed, already running, or another
    // loop runs on this thread.
    void run_forever();
    // Runs until the future (or the task, wrapped with create_task) is done, then returns
    // its result or rethrows its exception.
    template <class T>
    T run_until_complete(future<T> f);
    template <class T>
    T run_until_complete(task<T> t);
    // Asks run_forever to return after the current pass. Safe to call when not running:
    // the next run_forever then runs one pass and returns (asyncio's rule).
    void stop() noexcept { stopping_ = true; }
    // Drops every pending callback and pending task and shuts the default executor down.
    // Throws event_loop_error if the loop is running; a no-op if already closed.
    void close();
    bool is_running() const noexcept { return running_; }
    bool is_closed() const noexcept { return closed_; }

    // --- errors nobody handled ---
    // Replaces the handler (empty restores the default, which logs).
    void set_exception_handler(exception_handler handler);
    void call_exception_handler(const exception_context& context) noexcept;
    static void default_exception_handler(const exception_context& context) noexcept;

    // --- slow steps (loop thread) ---
    // After every step that ran threshold_seconds or longer, calls observer(loop, step) on the
    // loop's thread. An empty observer turns timing off (the default). An observer that throws
    // is reported to the exception handler.
    void set_slow_step_observer(double threshold_seconds, slow_step_observer observer);
    // An observer that logs a warning like asyncio's: "Executing task 'work#42' took 1.203 s".
    static void log_slow_step(event_loop& loop, const slow_step& step);

    // --- remote waits (loop thread) ---
    // The host told when a task with a host tag waits on a remote future (the worker, which
    // gives such a task's slot back while it waits; detail/remote_wait_host.hpp). Null: none.
    void set_remote_wait_host(detail::remote_wait_host* host) noexcept { remote_wait_host_ = host; }

    // --- I/O readiness (loop thread) ---
    // A reader or writer per fd or socket; adding again replaces the callback.
    // remove_* return whether something was registered.
    void add_reader(int fd, callback cb);
    bool remove_reader(int fd);
    void add_writer(int fd, callback cb);
    bool remove_writer(int fd);
    // zmq_socket is a raw ZeroMQ socket (cppzmq's socket.handle()); readable means ZMQ_POLLIN.
    void add_zmq_reader(void* zmq_socket, callback cb);
    bool remove_zmq_reader(void* zmq_socket);

    // --- futures and tasks (defined in future.hpp / task.hpp) ---
    template <class T = void>
    future<T> create_future();
    // Schedules the lazy task to run now (asyncio.create_task) and returns its handle: a
    // future whose cancel() throws cancelled_error into the coroutine at its next suspension.
    template <class T>
    future<T> create_task(task<T> t);
    // The same, named (asyncio's create_task(coro, name=...)): slow-step reports carry it.
    template <class T>
    future<T> create_task(task<T> t, std::string name);

    // Runs fn(args...) on the executor (nullptr: the default one) and returns a loop future;
    // defined in run_in_executor.hpp.
    template <class Executor, class F, class... Args>
    auto run_in_executor(Executor* executor, F&& fn, Args&&... args);
    template <class F, class... Args>
    auto run_in_executor(std::nullptr_t, F&& fn, Args&&... args);

    // The default executor of run_in_executor, created on first use (a thread pool). close()
    // cancels its queued calls and waits for running ones (asyncio.run does the same).
    thread_pool_executor& default_executor();
    void set_default_executor(std::shared_ptr<thread_pool_executor> executor);

    // The loop running on the calling thread (asyncio.get_running_loop); throws
    // event_loop_error when none runs.
    static event_loop& current();
    static event_loop* current_or_null() noexcept;

    // Number of tasks created and not yet finished (for tests and introspection).
    std::size_t pending_task_count() const noexcept { return live_task_count_; }

  private:
    friend class handle;
    friend class timer_handle;
    friend class detail::task_driver;
    friend class detail::loop_bound_ref_base;

    struct ready_entry {
        callback cb;               // empty for a due timer
        std::uint64_t seq;         // FIFO position, for handle::cancel
        std::uint32_t timer_slot;  // valid when cb is empty
        std::uint32_t timer_generation;
    };
    struct timer_slot {
        callback cb;
        std::uint32_t generation = 0;
        bool armed = false;
    };
    struct io_watch;
    struct poll_set;

    void check_open() const {
        if (closed_) throw_closed();
    }
    [[noreturn]] static void throw_closed();
    void run_once();
    int poll_timeout_ms() const;
    void poll_and_dispatch_io(int timeout_ms);
    void rebuild_poll_set();
    void move_due_timers_to_ready();
    void run_ready();
    void run_callback(callback& cb, const char* what) noexcept {
        if (!slow_step_observer_) {
            run_callback_untimed(cb, what);
        } else {
            run_callback_timed(cb, what);
        }
    }
    void run_callback_untimed(callback& cb, const char* what) noexcept;
    void run_callback_timed(callback& cb, const char* what) noexcept;
    // Timing: the start of the next step, and whether a task step inside the running
    // callback already reported itself.
    void start_step_clock() noexcept;
    bool step_is_slow(double seconds) const noexcept { return seconds >= slow_step_threshold_; }
    // The clock steps are timed by: the coarse monotonic clock (a few ns a read, no TSC) when
    // its resolution is far below the threshold, else the precise one.
    std::chrono::steady_clock::time_point step_clock_now() const noexcept;
    void report_slow_step(const slow_step& step) noexcept;
    void name_task(detail::task_driver& t, std::string name);
    void forget_task_name(detail::task_driver* t) noexcept { task_names_.erase(t); }
    void forget_task_names() noexcept;
    std::string_view task_name_of(detail::task_driver* t) const noexcept;
    void cancel_ready(std::uint64_t seq);
    void cancel_timer(std::uint32_t slot, std::uint32_t generation);
    bool timer_pending(std::uint32_t slot, std::uint32_t generation) const noexcept;
    // call_at for the runtime's own timers (sleep): the slot and generation only, 8 bytes
    // instead of a timer_handle's 32, kept in every sleeping task.
    struct timer_ref {
        std::uint32_t slot;
        std::uint32_t generation;
    };
    timer_ref arm_timer(double when, callback cb);
    void compact_timer_heap();
    void drain_threadsafe_queue();
    void add_watch(int fd, void* zsock, short events, callback cb);
    bool remove_watch(int fd, void* zsock, short events);
    void register_task(detail::task_driver* t);
    void unregister_task(detail::task_driver* t) noexcept;
    void destroy_pending_tasks() noexcept;
    void release_default_executor() noexcept;

    // --- owned by the loop thread ---
    steady_clock own_clock_;
    const clock* clock_;
    std::deque<ready_entry> ready_;
    std::uint64_t next_ready_seq_ = 1;  // seq given to the next call_soon
    std::uint64_t last_run_seq_ = 0;    // seq of the last ready entry taken off the queue
    std::unordered_set<std::uint64_t> cancelled_ready_;  // seqs cancelled while queued
    // Timers: entries ordered by (when, order) over slots in a slab. Cancelling frees the
    // slot at once (releasing the callback's captures) and leaves a stale entry that is
    // skipped when taken; the queue is purged when stale entries outnumber live ones, so
    // wait_for-style churn stays cheap and memory stays bounded.
    detail::timer_queue timers_;
    std::deque<timer_slot> timer_slots_;  // a deque: growing never moves live callbacks
    std::vector<std::uint32_t> free_timer_slots_;
    std::size_t stale_timer_entries_ = 0;
    std::uint64_t next_timer_order_ = 0;
    // I/O watches; unique_ptr keeps addresses stable while callbacks add or remove watches.
    std::vector<std::unique_ptr<io_watch>> watches_;
    std::vector<std::unique_ptr<io_watch>> retired_watches_;  // freed after the pass
    // zmq_pollitem_t array mirroring watches_; defined in the .cpp to keep zmq.h private.
    std::unique_ptr<poll_set> poll_set_;
    bool poll_set_dirty_ = true;
    detail::task_driver* live_tasks_ = nullptr;  // head of the drivers' intrusive list
    std::size_t live_task_count_ = 0;
    exception_handler exception_handler_;
    slow_step_observer slow_step_observer_;  // empty: steps are not timed
    detail::remote_wait_host* remote_wait_host_ = nullptr;
    double slow_step_threshold_ = 0.1;
    bool coarse_step_clock_ = false;
    std::chrono::steady_clock::time_point step_started_;
    bool task_step_reported_ = false;
    std::unordered_map<detail::task_driver*, std::string> task_names_;  // named tasks only
    std::shared_ptr<thread_pool_executor> default_executor_;
    bool running_ = false;
    bool stopping_ = false;
    bool closed_ = false;

    // --- shared with other threads: the call_soon_threadsafe queue and its wake-up eventfd,
    // in an object that outlives the loop as long as a loop_ref or wrapped future needs it ---
    std::shared_ptr<detail::loop_lifetime> lifetime_;
};

}  // namespace shoal
