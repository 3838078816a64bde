#include "shoal/common/detail/task_driver.hpp"

#include <chrono>
#include <utility>

#include "shoal/common/detail/remote_wait_host.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"

namespace shoal::detail {

namespace {
// Resumes the task behind a task handle's state (callbacks hold the state, not the driver,
// so that the reference keeps the whole task alive).
void step_task(future_base& f) noexcept {
    if (task_driver* d = f.as_task_driver()) {
        d->resume_from_loop();
    }
}
}  // namespace

task_driver::~task_driver() {
    if (named_) loop_->forget_task_name(this);
}

void task_driver::resume_timed() noexcept {
    const auto started = loop_->step_clock_now();
    resume_point_.resume();
    const double seconds = std::chrono::duration<double>(loop_->step_clock_now() - started).count();
    if (loop_->step_is_slow(seconds)) {
        loop_->report_slow_step(slow_step{seconds, "task", loop_->task_name_of(this), this});
        loop_->task_step_reported_ = true;  // the callback that stepped it is not reported too
    }
}

task_driver& task_driver::require_current() {
    if (current_driver == nullptr) {
        throw event_loop_error(
            "co_await outside a task: run the coroutine with create_task or "
            "run_until_complete");
    }
    return *current_driver;
}

void task_driver::wait_on_future(future_base& f, std::coroutine_handle<> h) {
    if (host_tag_ != 0 && f.remote()) [[unlikely]] {
        if (remote_wait_host* host = loop_->remote_wait_host_) {
            remote_wait_ = host->begin_remote_wait(host_tag_);
        }
    }
    resume_point_ = h;
    waiting_future_ = ref_ptr<future_base>(&f);
    f.add_callback([me = ref_ptr<future_base>(&self())](future_base&) { step_task(*me); });
    // A cancel() that arrived while the coroutine ran (it cancelled itself, or something it
    // called did) is delivered at this suspension, as asyncio's Task.__step cancels the new
    // _fut_waiter; otherwise the task would sit until the future completed.
    if (must_cancel_ && f.cancel(pending_cancel_message())) {
        must_cancel_ = false;
    }
}

void task_driver::wait_on_timer(double delay_seconds, std::coroutine_handle<> h) {
    if (must_cancel_) {
        yield_now(h);  // cancelled while running: resume next pass and raise, don't sleep
        return;
    }
    resume_point_ = h;
    waiting_on_timer_ = true;
    const auto ref =
        loop_->arm_timer(loop_->time() + delay_seconds, [me = ref_ptr<future_base>(&self())] {
            if (task_driver* d = me->as_task_driver()) {
                d->waiting_on_timer_ = false;
                d->step();
            }
        });
    waiting_timer_slot_ = ref.slot;
    waiting_timer_generation_ = ref.generation;
}

void task_driver::yield_now(std::coroutine_handle<> h) {
    resume_point_ = h;
    loop_->call_soon([me = ref_ptr<future_base>(&self())] { step_task(*me); });
}

void task_driver::throw_if_cancel_requested() {
    if (must_cancel_) {
        must_cancel_ = false;
        std::string message = pending_cancel_message();
        throw cancelled_error(message.empty() ? "cancelled" : message);
    }
}

bool task_driver::request_cancel(const std::string& message) {
    // As asyncio's Task.cancel: if what we wait on accepts the cancel, its cancellation is
    // what wakes us (and raises in the coroutine); otherwise remember to raise on resume.
    if (waiting_future_ && waiting_future_->cancel(message)) {
        return true;
    }
    if (waiting_on_timer_) {
        loop_->cancel_timer(waiting_timer_slot_, waiting_timer_generation_);
        waiting_on_timer_ = false;
        loop_->call_soon([me = ref_ptr<future_base>(&self())] { step_task(*me); });
    }
    must_cancel_ = true;
    if (!message.empty()) {
        cancel_message_ = std::make_unique<std::string>(message);
    }
    return true;
}

void task_driver::clear_wait() noexcept { waiting_future_ = nullptr; }

bool task_driver::after_remote_wait() noexcept {
    remote_wait_host* host = loop_->remote_wait_host_;
    const bool was_slot_wait = slot_wait_;
    remote_wait_ = slot_wait_ = false;
    if (host == nullptr) return true;  // the host left (the worker is stopping)
    const bool cancelled = waiting_future_ && waiting_future_->cancelled();
    if (was_slot_wait) {
        if (cancelled) {
            host->take_slot_now(host_tag_);
            must_cancel_ = true;  // the remote result is in, but the task was cancelled
        }
        return true;
    }
    if (cancelled || must_cancel_) {
        host->end_remote_wait_now(host_tag_);
        return true;
    }
    ref_ptr<future_base> grant = host->end_remote_wait(host_tag_);
    if (!grant || grant->done()) return true;
    waiting_future_ = grant;
    slot_wait_ = true;
    grant->add_callback([me = ref_ptr<future_base>(&self())](future_base&) { step_task(*me); });
    return false;
}

void task_driver::step() noexcept {
    if (self().done() || !top_) {
        return;
    }
    if ((remote_wait_ || slot_wait_) && !after_remote_wait()) [[unlikely]] {
        return;
    }
    clear_wait();
    if (!started_ && must_cancel_) {
        on_finished();  // never ran: settles as cancelled
        return;
    }
    started_ = true;
    ref_ptr<future_base> keep_alive(&self());
    task_driver* previous = std::exchange(current_driver, this);
    if (loop_->slow_step_observer_) [[unlikely]] {
        resume_timed();
    } else {
        resume_point_.resume();
    }
    current_driver = previous;
    if (top_.done()) {
        on_finished();
    }
}

void task_driver::unregister() noexcept {
    if (registered_) {
        registered_ = false;
        loop_->unregister_task(this);
    }
}

void task_driver::abandon() noexcept {
    ref_ptr<future_base> keep_alive(&self());
    registered_ = false;  // the loop already took us off its list
    loop_->call_exception_handler(exception_context{"Task was destroyed but it is pending!", {}});
    if (waiting_on_timer_) {
        waiting_on_timer_ = false;
    }
    remote_wait_ = slot_wait_ = false;  // the loop is closing: its host has nothing to count
    clear_wait();
    destroy_coroutine();
    self().drop_callbacks();  // the task can never finish now: release whoever waited on it
}

}  // namespace shoal::detail
