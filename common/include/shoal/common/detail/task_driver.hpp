#pragma once
// task_driver: the machinery behind event_loop::create_task (asyncio's Task.__step). A
// driver owns one top-level coroutine and resumes it from the loop; every awaiter in the
// runtime suspends by telling the current driver what it waits for (a future, a timer, or
// just the next pass), so that cancel() can reach whatever the coroutine waits on.
//
// Chains of lazy tasks run inside one driver: `co_await some_task()` transfers control
// symmetrically without touching the loop, and the innermost suspended coroutine is
// remembered as the resume point.

#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>

#include "shoal/common/detail/loop_future_state.hpp"
#include "shoal/common/detail/ref_ptr.hpp"

namespace shoal {
class event_loop;
}

namespace shoal::detail {

class task_driver;
// The driver whose coroutine is running on this thread right now (asyncio.current_task).
inline thread_local task_driver* current_driver = nullptr;

class task_driver {
  public:
    task_driver(const task_driver&) = delete;
    task_driver& operator=(const task_driver&) = delete;

    static task_driver* current() noexcept { return current_driver; }
    // Throws event_loop_error when a coroutine awaits outside any task.
    static task_driver& require_current();

    // Suspension requests from awaiters; `h` is the coroutine to resume afterwards.
    void wait_on_future(future_base& f, std::coroutine_handle<> h);
    void wait_on_timer(double delay_seconds, std::coroutine_handle<> h);
    void yield_now(std::coroutine_handle<> h);
    // Called by awaiters when resumed after a suspension: throws cancelled_error if a
    // cancel() arrived that the awaited thing did not already deliver.
    void throw_if_cancel_requested();

    // The loop host's tag for this task (the worker's job number; 0: none), which the host
    // is told when the task waits on remote work (remote_wait_host.hpp). A task created while
    // another runs inherits its tag, as asyncio's create_task copies the running context.
    std::uint64_t host_tag() const noexcept { return host_tag_; }
    void set_host_tag(std::uint64_t tag) noexcept { host_tag_ = tag; }

    // Task.cancel(): returns false if the task is done.
    bool request_cancel(const std::string& message);
    // Resumes the coroutine where it suspended (from a loop callback).
    void resume_from_loop() noexcept { step(); }
    // The loop is closing with this task pending: destroy its coroutine.
    void abandon() noexcept;

  protected:
    friend class shoal::event_loop;
    explicit task_driver(event_loop& loop) noexcept : loop_(&loop) {}
    virtual ~task_driver();

    // The future this driver settles (the task's handle).
    virtual future_base& self() noexcept = 0;
    // The coroutine finished (or was cancelled before it started): settle self().
    virtual void on_finished() noexcept = 0;
    // Destroys the coroutine frame without settling self().
    virtual void destroy_coroutine() noexcept = 0;

    void step() noexcept;
    void unregister() noexcept;

    event_loop* loop_;
    std::coroutine_handle<> top_;           // the task's own coroutine
    std::coroutine_handle<> resume_point_;  // innermost suspended coroutine of the chain
    bool started_ = false;
    bool must_cancel_ = false;  // deliver cancelled_error at the next resume
    bool registered_ = false;
    bool named_ = false;                           // the loop keeps a name for it (create_task)
    std::unique_ptr<std::string> cancel_message_;  // of the pending cancel request, if any

    // The message of the pending cancel request (empty if none was given).
    std::string pending_cancel_message() const {
        return cancel_message_ ? *cancel_message_ : std::string();
    }

  private:
    void clear_wait() noexcept;
    // The remote future this task waited on is done: tells the host, and waits on the host's
    // grant when the task must wait for a slot before it goes on. False: it waits on.
    bool after_remote_wait() noexcept;
    // Resumes the coroutine and reports the step to the loop's slow-step observer if slow.
    void resume_timed() noexcept;

    bool waiting_on_timer_ = false;
    bool remote_wait_ = false;  // waiting_future_ is remote work the host counts for this task
    bool slot_wait_ = false;    // waiting_future_ is the host's grant to go on after one
    std::uint64_t host_tag_ = current_driver != nullptr ? current_driver->host_tag_ : 0;
    std::uint32_t waiting_timer_slot_ = 0;  // the sleep's timer, valid while waiting_on_timer_
    std::uint32_t waiting_timer_generation_ = 0;
    ref_ptr<future_base> waiting_future_;  // asyncio's _fut_waiter
    // The loop's intrusive list of live tasks (asyncio's all_tasks): O(1) to join and
    // leave, no allocation, unlike a hash set. Owned by the loop.
    task_driver* prev_live_ = nullptr;
    task_driver* next_live_ = nullptr;
};

}  // namespace shoal::detail
