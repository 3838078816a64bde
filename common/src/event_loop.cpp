#include "shoal/common/event_loop.hpp"

#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include <spdlog/spdlog.h>

#include "shoal/common/detail/loop_lifetime.hpp"
#include "shoal/common/detail/task_driver.hpp"
#include "shoal/common/errors.hpp"

namespace shoal {

namespace {

thread_local event_loop* running_loop = nullptr;

// Timers due within this margin fire in the current pass: zmq_poll sleeps in whole
// milliseconds (rounded up), so waking "a little early" must not cost another pass.
constexpr double clock_resolution_seconds = 1e-6;
// The heap is rebuilt when more than this many entries are stale and they outnumber the
// live ones (asyncio uses the same pair of rules).
constexpr std::size_t min_stale_timers_to_compact = 100;

}  // namespace

struct event_loop::io_watch {
    int fd;
    void* zsock;
    short events;  // ZMQ_POLLIN or ZMQ_POLLOUT
    callback cb;
    bool removed = false;
};

struct event_loop::poll_set {
    std::vector<zmq_pollitem_t> items;
    std::vector<io_watch*> owners;  // owners[i] is the watch polled by items[i]
};

// ---------------------------------------------------------------- handles

void handle::cancel() {
    if (!cancelled_ && loop_ != nullptr) {
        cancelled_ = true;
        loop_->cancel_ready(seq_);
    }
}

bool timer_handle::pending() const noexcept {
    return loop_ != nullptr && !cancelled_ && loop_->timer_pending(slot_, generation_);
}

void timer_handle::cancel() {
    if (!cancelled_ && loop_ != nullptr) {
        cancelled_ = true;
        loop_->cancel_timer(slot_, generation_);
    }
}

// ---------------------------------------------------------------- life cycle

event_loop::event_loop() : event_loop(own_clock_) {}

event_loop::event_loop(const clock& time_source)
    : clock_(&time_source),
      poll_set_(std::make_unique<poll_set>()),
      lifetime_(std::make_shared<detail::loop_lifetime>(*this)) {
    add_reader(lifetime_->wakeup_fd(), [this] { drain_threadsafe_queue(); });
}

event_loop::~event_loop() {
    if (running_) {
        // Destroying a running loop is a bug in the caller; refuse to free memory that the
        // running pass still uses and leave a trace instead of crashing later.
        spdlog::critical("shoal: event_loop destroyed while running");
        std::terminate();
    }
    close();
}

void event_loop::close() {
    if (running_) {
        throw event_loop_error("Cannot close a running event loop");
    }
    if (closed_) {
        return;
    }
    // First refuse other threads, and take back the references they held into this loop
    // (loop_bound_ref): after this, a late completion from another thread is a no-op.
    std::vector<callback> pending_threadsafe = lifetime_->close();
    // Callbacks and timers may hold the last references to tasks; dropping them first lets
    // those tasks unregister themselves before the remaining ones are destroyed.
    closed_ = true;
    std::deque<ready_entry> ready;
    ready.swap(ready_);
    ready.clear();
    std::deque<timer_slot> slots;
    slots.swap(timer_slots_);
    slots.clear();
    timers_.clear();
    free_timer_slots_.clear();
    destroy_pending_tasks();
    pending_threadsafe.clear();
    watches_.clear();
    retired_watches_.clear();
    if (default_executor_) {
        // Like asyncio: do not wait for blocking calls still running in the pool.
        release_default_executor();
    }
    forget_task_names();  // tasks outliving the loop must not reach back to erase theirs
}

void event_loop::throw_closed() { throw event_loop_error("Event loop is closed"); }

// ---------------------------------------------------------------- scheduling

handle event_loop::call_soon(callback cb) {
    check_open();
    const std::uint64_t seq = next_ready_seq_++;
    ready_.push_back(ready_entry{std::move(cb), seq, 0, 0});
    return handle(this, seq);
}

timer_handle event_loop::call_later(double delay_seconds, callback cb) {
    return call_at(time() + delay_seconds, std::move(cb));
}

timer_handle event_loop::call_at(double when, callback cb) {
    const timer_ref ref = arm_timer(when, std::move(cb));
    return timer_handle(this, ref.slot, ref.generation, when);
}

event_loop::timer_ref event_loop::arm_timer(double when, callback cb) {
    check_open();
    std::uint32_t slot;
    if (!free_timer_slots_.empty()) {
        slot = free_timer_slots_.back();
        free_timer_slots_.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(timer_slots_.size());
        timer_slots_.emplace_back();
    }
    timer_slot& s = timer_slots_[slot];
    s.cb = std::move(cb);
    s.armed = true;
    timers_.push(detail::timer_entry{when, next_timer_order_++, slot, s.generation});
    return timer_ref{slot, s.generation};
}

void event_loop::call_soon_threadsafe(callback cb) {
    if (!lifetime_->post(cb)) {
        throw event_loop_error("Event loop is closed");
    }
}

double event_loop::time() const { return clock_->now(); }

void event_loop::cancel_ready(std::uint64_t seq) {
    if (seq > last_run_seq_) {
        cancelled_ready_.insert(seq);
    }
}

bool event_loop::timer_pending(std::uint32_t slot, std::uint32_t generation) const noexcept {
    return slot < timer_slots_.size() && timer_slots_[slot].armed &&
           timer_slots_[slot].generation == generation;
}

void event_loop::cancel_timer(std::uint32_t slot, std::uint32_t generation) {
    if (slot >= timer_slots_.size()) {
        return;
    }
    timer_slot& s = timer_slots_[slot];
    if (!s.armed || s.generation != generation) {
        return;  // already fired or already cancelled
    }
    s.armed = false;
    ++s.generation;
    callback released = std::move(s.cb);  // destroyed after the slot is consistent
    free_timer_slots_.push_back(slot);
    ++stale_timer_entries_;
    if (stale_timer_entries_ > min_stale_timers_to_compact &&
        stale_timer_entries_ * 2 > timers_.size()) {
        compact_timer_heap();
    }
}

void event_loop::compact_timer_heap() {
    timers_.erase_if([this](const detail::timer_entry& e) {
        const timer_slot& s = timer_slots_[e.slot];
        return !s.armed || s.generation != e.generation;
    });
    stale_timer_entries_ = 0;
}

// ---------------------------------------------------------------- running

event_loop& event_loop::current() {
    if (running_loop == nullptr) {
        throw event_loop_error("no running event loop");
    }
    return *running_loop;
}

event_loop* event_loop::current_or_null() noexcept { return running_loop; }

void event_loop::run_forever() {
    check_open();
    if (running_) {
        throw event_loop_error("This event loop is already running");
    }
    if (running_loop != nullptr) {
        throw event_loop_error("Cannot run the event loop while another loop is running");
    }
    running_ = true;
    running_loop = this;
    struct restore {
        event_loop* self;
        ~restore() {
            self->running_ = false;
            self->stopping_ = false;
            running_loop = nullptr;
        }
    } guard{this};
    for (;;) {
        run_once();
        if (stopping_) {
            break;
        }
    }
}

// The spine: one pass of the loop.
void event_loop::run_once() {
    // 1. How long may we sleep? Not at all when work is ready or a stop is pending; else
    //    until the earliest timer; else until an fd, a socket or another thread wakes us.
    const int timeout_ms = poll_timeout_ms();

    // 2. Wait for I/O and run the readers and writers that are ready. When work is ready
    //    and nothing but our own wake-up fd is watched, the flag beside it says all that a
    //    zero-timeout poll() would, without the system call (most of a pass's cost).
    if (timeout_ms == 0 && watches_.size() == 1) {
        if (lifetime_->has_queued()) {
            drain_threadsafe_queue();
        }
    } else {
        poll_and_dispatch_io(timeout_ms);
    }

    // 3. Timers that are due join the ready queue behind what is already there.
    move_due_timers_to_ready();

    // 4. Run what was ready at this point; callbacks scheduled now wait for the next pass.
    run_ready();
}

int event_loop::poll_timeout_ms() const {
    if (!ready_.empty() || stopping_) {
        return 0;
    }
    // The earliest entry may be a cancelled timer (stale entries stay queued until due, then
    // are dropped): at worst the loop wakes once early.
    if (timers_.empty()) {
        return -1;
    }
    const double delay = timers_.top().when - time();
    if (delay <= 0) {
        return 0;
    }
    const double ms = std::ceil(delay * 1000.0);
    return ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                                : static_cast<int>(ms);
}

void event_loop::poll_and_dispatch_io(int timeout_ms) {
    if (poll_set_dirty_) {
        rebuild_poll_set();
    }
    auto& items = poll_set_->items;
    const int n = zmq_poll(items.data(), static_cast<int>(items.size()), timeout_ms);
    if (n < 0) {
        if (zmq_errno() != EINTR) {
            spdlog::error("shoal: zmq_poll failed: {}", zmq_strerror(zmq_errno()));
        }
        return;
    }
    if (n == 0) {
        return;
    }
    if (slow_step_observer_) start_step_clock();
    // Iterate by index over the set polled; watches added by callbacks are polled next pass,
    // removed ones are skipped through their `removed` flag (deferred deletion).
    const std::size_t count = items.size();
    for (std::size_t i = 0; i < count; ++i) {
        const short fired = poll_set_->items[i].revents;
        io_watch* w = poll_set_->owners[i];
        if (fired == 0 || w->removed) {
            continue;
        }
        if ((fired & (w->events | ZMQ_POLLERR)) != 0) {
            run_callback(w->cb, "Exception in I/O callback");
        }
    }
    retired_watches_.clear();
}

void event_loop::rebuild_poll_set() {
    auto& ps = *poll_set_;
    ps.items.clear();
    ps.owners.clear();
    for (const auto& w : watches_) {
        zmq_pollitem_t item{};
        item.socket = w->zsock;
        item.fd = w->fd;
        item.events = w->events;
        ps.items.push_back(item);
        ps.owners.push_back(w.get());
    }
    poll_set_dirty_ = false;
}

void event_loop::move_due_timers_to_ready() {
    if (timers_.empty()) {
        return;  // spares the clock read on timer-free passes
    }
    const double end_time = time() + clock_resolution_seconds;
    while (!timers_.empty() && timers_.top().when <= end_time) {
        const detail::timer_entry e = timers_.pop();
        const timer_slot& s = timer_slots_[e.slot];
        if (!s.armed || s.generation != e.generation) {
            if (stale_timer_entries_ > 0) --stale_timer_entries_;
            continue;
        }
        ready_.push_back(ready_entry{callback{}, next_ready_seq_++, e.slot, e.generation});
    }
}

void event_loop::run_ready() {
    std::size_t todo = ready_.size();
    if (slow_step_observer_ && todo > 0) start_step_clock();
    while (todo-- > 0 && !ready_.empty()) {
        ready_entry entry = std::move(ready_.front());
        ready_.pop_front();
        last_run_seq_ = entry.seq;
        if (!cancelled_ready_.empty() && cancelled_ready_.erase(entry.seq) > 0) {
            continue;
        }
        if (entry.cb) {
            run_callback(entry.cb, "Exception in callback");
            continue;
        }
        // A due timer: it may have been cancelled by an earlier callback of this pass.
        timer_slot& s = timer_slots_[entry.timer_slot];
        if (!s.armed || s.generation != entry.timer_generation) {
            continue;
        }
        callback cb = std::move(s.cb);
        s.armed = false;
        ++s.generation;
        free_timer_slots_.push_back(entry.timer_slot);
        run_callback(cb, "Exception in callback");
    }
}

void event_loop::run_callback_untimed(callback& cb, const char* what) noexcept {
    try {
        cb();
    } catch (...) {
        call_exception_handler(exception_context{what, std::current_exception()});
    }
}

void event_loop::drain_threadsafe_queue() {
    std::vector<callback> batch;
    lifetime_->take_queued(batch);
    for (auto& cb : batch) {
        ready_.push_back(ready_entry{std::move(cb), next_ready_seq_++, 0, 0});
    }
}

// ---------------------------------------------------------------- errors

void event_loop::set_exception_handler(exception_handler handler) {
    exception_handler_ = std::move(handler);
}

void event_loop::call_exception_handler(const exception_context& context) noexcept {
    if (!exception_handler_) {
        default_exception_handler(context);
        return;
    }
    try {
        exception_handler_(*this, context);
    } catch (...) {
        // A failing handler must not take the loop down; report both through the default.
        default_exception_handler(
            {"Unhandled error in exception handler", std::current_exception()});
        default_exception_handler(context);
    }
}

void event_loop::default_exception_handler(const exception_context& context) noexcept {
    if (!context.exception) {
        spdlog::error("shoal: {}", context.message);
        return;
    }
    std::string what;
    {
        try {
            std::rethrow_exception(context.exception);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
            what = "unknown exception type";
        }
    }
    spdlog::error("shoal: {}: {}", context.message, what);
}

// ---------------------------------------------------------------- I/O

void event_loop::add_reader(int fd, callback cb) {
    add_watch(fd, nullptr, ZMQ_POLLIN, std::move(cb));
}
bool event_loop::remove_reader(int fd) { return remove_watch(fd, nullptr, ZMQ_POLLIN); }
void event_loop::add_writer(int fd, callback cb) {
    add_watch(fd, nullptr, ZMQ_POLLOUT, std::move(cb));
}
bool event_loop::remove_writer(int fd) { return remove_watch(fd, nullptr, ZMQ_POLLOUT); }
void event_loop::add_zmq_reader(void* zmq_socket, callback cb) {
    add_watch(-1, zmq_socket, ZMQ_POLLIN, std::move(cb));
}
bool event_loop::remove_zmq_reader(void* zmq_socket) {
    return remove_watch(-1, zmq_socket, ZMQ_POLLIN);
}

void event_loop::add_watch(int fd, void* zsock, short events, callback cb) {
    check_open();
    for (auto& w : watches_) {
        if (!w->removed && w->fd == fd && w->zsock == zsock && w->events == events) {
            w->cb = std::move(cb);
            return;
        }
    }
    watches_.push_back(std::make_unique<io_watch>(io_watch{fd, zsock, events, std::move(cb)}));
    poll_set_dirty_ = true;
}

bool event_loop::remove_watch(int fd, void* zsock, short events) {
    auto it = std::find_if(watches_.begin(), watches_.end(), [&](const auto& w) {
        return !w->removed && w->fd == fd && w->zsock == zsock && w->events == events;
    });
    if (it == watches_.end()) {
        return false;
    }
    // The watch may be the one whose callback is running: keep it alive until the pass ends.
    (*it)->removed = true;
    retired_watches_.push_back(std::move(*it));
    watches_.erase(it);
    poll_set_dirty_ = true;
    return true;
}

// ---------------------------------------------------------------- tasks

void event_loop::register_task(detail::task_driver* t) {
    t->prev_live_ = nullptr;
    t->next_live_ = live_tasks_;
    if (live_tasks_ != nullptr) {
        live_tasks_->prev_live_ = t;
    }
    live_tasks_ = t;
    ++live_task_count_;
    t->registered_ = true;
}

void event_loop::unregister_task(detail::task_driver* t) noexcept {
    if (t->prev_live_ != nullptr) {
        t->prev_live_->next_live_ = t->next_live_;
    } else {
        live_tasks_ = t->next_live_;
    }
    if (t->next_live_ != nullptr) {
        t->next_live_->prev_live_ = t->prev_live_;
    }
    t->prev_live_ = t->next_live_ = nullptr;
    --live_task_count_;
}

void event_loop::destroy_pending_tasks() noexcept {
    // Each pending task's coroutine frame may hold futures whose callbacks hold the task:
    // destroying the frame breaks that cycle. Destroying one frame can finish off other
    // tasks, which unregister themselves, so take one at a time.
    while (live_tasks_ != nullptr) {
        detail::task_driver* t = live_tasks_;
        unregister_task(t);
        t->abandon();
    }
}

}  // namespace shoal
