// The process pool manager's loop: take submissions, dispatch, poll, read responses
// (process_pool_manager.hpp).

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <system_error>

#include <spdlog/spdlog.h>

#include "process_pool_manager.hpp"
#include "shoal/common/errors.hpp"

namespace shoal {

namespace wire = detail::pool_wire;
using namespace detail::pool;  // the manager's constants and records

void process_pool_executor::manager::run() {
    try {
        for (;;) {
            if (woken_) {
                woken_ = false;
                take_submissions();
            }
            respawn_missing();
            dispatch();
            offer_lanes();
            if (drained()) {
                break;
            }
            poll_once();
            enforce_time_limits();
            release_held_failures(stopping_);
        }
    } catch (const std::exception& e) {
        // Not expected (allocation failure, a bug): fail what we hold rather than hang callers.
        spdlog::critical("process pool manager failed: {}", e.what());
        {
            std::lock_guard lock(mutex_);
            broken_ = true;
            reclaim_lanes_locked();  // direct calls are failed below with the others
        }
        take_submissions();
        const auto error = std::make_exception_ptr(
            broken_process_pool(std::string("the process pool's manager failed: ") + e.what()));
        for (auto& child : children_) {
            if (child.current && child.current->completion) {
                child.current->completion->fail(error);
                child.current.reset();
            }
        }
        release_held_failures(true);
        fail_queued(error);
    }
    {
        std::lock_guard lock(mutex_);
        reclaim_lanes_locked();  // no submitter may write to a socket stop_children closes
    }
    stop_children();
}

void process_pool_executor::manager::take_submissions() {
    std::deque<queued_call> fresh;
    std::vector<std::shared_ptr<const void>> terminations;
    bool cancel = false;
    {
        std::lock_guard lock(mutex_);
        // A call to terminate may have been written directly: adopt it to find it.
        if (!incoming_.empty() || shutting_down_ || !terminations_.empty()) {
            // Queued calls go first and a stopping pool takes no direct calls: close the lanes,
            // adopting any call written directly before this point.
            reclaim_lanes_locked();
        }
        fresh.swap(incoming_);
        terminations.swap(terminations_);
        stopping_ = shutting_down_;
        cancel = cancel_requested_;
    }
    for (auto& call : fresh) {
        queue_.push_back(std::move(call));
    }
    if (!terminations.empty()) {
        terminate_calls(terminations);
    }
    for (auto& child : children_) {
        if (child.lost_direct && child.pid > 0) {
            // A direct write failed (its call was requeued): the child may hold half a frame.
            on_child_lost(child, "could not be sent a call", ending::kill);
        }
    }
    if (cancel) {
        // Python's cancel_futures: calls not handed to a child yet are cancelled. A call put
        // back after a failed send is already running and cannot be: it is failed instead.
        for (auto& call : queue_) {
            if (call.started) {
                call.completion->fail(std::make_exception_ptr(
                    broken_process_pool("the pool shut down before the call could be sent")));
            } else {
                call.completion->cancel();
            }
        }
        queue_.clear();
    }
}

void process_pool_executor::manager::respawn_missing() {
    bool any_alive = false;
    for (auto& child : children_) {
        if (child.pid < 0 && may_respawn()) {
            try {
                spawn(child);
                await_ready(child);
                publish_pids();
            } catch (const std::exception& e) {
                spdlog::error("process pool could not start a child: {}", e.what());
            }
        }
        any_alive = any_alive || child.pid > 0;
    }
    if (!any_alive) {
        fail_queued(std::make_exception_ptr(
            broken_process_pool("the process pool has no live child and cannot start one")));
    }
}

void process_pool_executor::manager::dispatch() {
    if (queue_.empty()) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        reclaim_lanes_locked();  // no lane is offered while queue_ holds calls
    }
    for (auto& child : children_) {
        while (!queue_.empty() && child.pid > 0 && !child.current) {
            queued_call call = std::move(queue_.front());
            queue_.pop_front();
            if (!call.started && !call.completion->start()) {
                continue;  // cancelled while queued: skipped, as Python's executor does
            }
            call.started = true;
            if (!send_call(child, std::move(call))) {
                break;  // the child was lost and replaced; the call went back to the queue
            }
        }
        if (queue_.empty()) {
            return;
        }
    }
}

bool process_pool_executor::manager::send_call(child_slot& child, queued_call call) {
    const std::string frame =
        wire::encode(wire::request{wire::request_kind::call, call.id, call.name, call.args});
    if (call.time_limit) {
        child.deadline = concurrent::detail::deadline_after(call.time_limit);
    }
    if (call.soft_time_limit) {
        child.soft_deadline = concurrent::detail::deadline_after(call.soft_time_limit);
    }
    child.current = std::move(call);
    if (wire::write_all(child.fd, frame)) {
        return true;
    }
    // The request never reached the child, so the call did not run: retry it elsewhere.
    queue_.push_front(std::move(*child.current));
    child.current.reset();
    child.deadline.reset();
    child.soft_deadline.reset();
    on_child_lost(child, "could not be sent the call", ending::close_socket);
    return false;
}

// During shutdown a lost child is still replaced while calls wait for one.
bool process_pool_executor::manager::may_respawn() const { return !stopping_ || !queue_.empty(); }

bool process_pool_executor::manager::drained() const {
    return stopping_ && queue_.empty() && held_.empty() &&
           std::none_of(children_.begin(), children_.end(),
                        [](const child_slot& child) { return child.current.has_value(); });
}

std::chrono::milliseconds process_pool_executor::manager::poll_timeout() const {
    auto wait = std::chrono::duration_cast<clock::duration>(max_poll_wait);
    const auto now = clock::now();
    for (const auto& child : children_) {
        for (const auto& limit : {child.deadline, child.soft_deadline}) {
            if (limit) {
                wait = std::min(wait, std::max(*limit - now, clock::duration::zero()));
            }
        }
    }
    for (const auto& held : held_) {
        wait = std::min(wait, std::max(held.due - now, clock::duration::zero()));
    }
    // Round up: waking a little late is fine, waking early would spin until the deadline.
    return std::chrono::ceil<std::chrono::milliseconds>(wait);
}

void process_pool_executor::manager::poll_once() {
    auto& fds = poll_fds_;
    auto& owners = poll_owners_;
    fds.clear();
    owners.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    for (auto& child : children_) {
        if (child.pid > 0) {
            fds.push_back({child.fd, POLLIN, 0});
            owners.push_back(&child);
        }
    }
    // After a pass with events, look again for a short while before sleeping: the reply to a
    // call just sent, or the next submission, usually comes within microseconds, and waking
    // an idle CPU costs tens of microseconds on a VM. An idle pool sleeps after one window.
    int ready = 0;
    if (recently_active_) {
        const auto spin_until = clock::now() + manager_spin;
        while ((ready = ::poll(fds.data(), fds.size(), 0)) == 0 && clock::now() < spin_until) {
        }
    }
    if (ready == 0) {
        ready = ::poll(fds.data(), fds.size(), static_cast<int>(poll_timeout().count()));
    }
    recently_active_ = ready > 0;
    if (ready < 0) {
        if (errno != EINTR) {
            throw std::system_error(errno, std::generic_category(), "poll");
        }
        woken_ = true;
        return;
    }
    if ((fds[0].revents & POLLIN) != 0) {
        woken_ = true;
        std::uint64_t count = 0;
        [[maybe_unused]] const auto drained_bytes = ::read(wake_fd_, &count, sizeof count);
    }
    for (std::size_t i = 0; i < owners.size(); ++i) {
        if ((fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            read_from(*owners[i]);
        }
    }
}

void process_pool_executor::manager::read_from(child_slot& child) {
    if (!child.current) {
        reclaim_lane(child);  // the answer may be to a call a submitter wrote directly
    }
    char* const buffer = read_buffer_.get();
    const ssize_t n = ::read(child.fd, buffer, read_chunk_bytes);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        on_child_lost(child, "died", ending::close_socket);
        return;
    }
    child.reader.append(std::string_view(buffer, static_cast<std::size_t>(n)));
    std::string payload;
    for (;;) {
        const pid_t pid = child.pid;
        const auto status = child.reader.next(payload);
        if (status == wire::frame_reader::status::need_more) {
            return;
        }
        const auto response = status == wire::frame_reader::status::frame
                                  ? wire::decode_response(payload)
                                  : std::nullopt;
        if (!response) {
            on_child_lost(child, "sent a corrupt frame", ending::kill);
            return;
        }
        on_response(child, *response);
        if (child.pid != pid) {
            return;  // the child was recycled; its reader and buffered bytes are gone
        }
    }
}

void process_pool_executor::manager::fail_queued(const std::exception_ptr& error) {
    for (auto& call : queue_) {
        if (call.started || call.completion->start()) {
            call.completion->fail(error);
        }
    }
    queue_.clear();
}

// ---------------------------------------------------------------- direct lanes

std::size_t process_pool_executor::manager::index_of(const child_slot& child) const {
    return static_cast<std::size_t>(&child - children_.data());
}

// Submitting thread, mutex_ held: writes `call` straight to an idle child (see
// process_pool_direct_lane.hpp). True when the caller has nothing more to do; false: queue it.
bool process_pool_executor::manager::try_direct_locked(queued_call& call) {
    if (!incoming_.empty() || !direct_lane::fits(call)) {
        return false;  // a direct call never overtakes a queued one
    }
    const auto lane = std::find_if(lanes_.begin(), lanes_.end(),
                                   [](const direct_lane& candidate) { return candidate.idle(); });
    return lane != lanes_.end() && lane->send(call);
}

// Manager thread, mutex_ held: takes every lane back (see reclaim_lane).
void process_pool_executor::manager::reclaim_lanes_locked() {
    for (std::size_t i = 0; i < lanes_.size(); ++i) {
        close_lane_locked(children_[i], lanes_[i]);
    }
}

// mutex_ held: closes one lane and moves what a submitter left in it into the child's slot.
void process_pool_executor::manager::close_lane_locked(child_slot& child, direct_lane& lane) {
    child.offered = false;
    auto taken = lane.take_back();
    if (taken.sent) child.current = std::move(*taken.sent);
    if (taken.lost) child.lost_direct = true;
}

// Manager thread: closes the child's lane and adopts a call a submitter wrote to it, so that
// children_[i] is again the whole truth about the child until it is offered again.
void process_pool_executor::manager::reclaim_lane(child_slot& child) {
    const std::size_t i = index_of(child);
    std::lock_guard lock(mutex_);
    close_lane_locked(child, lanes_[i]);
}

// Manager thread: lets submitters write to `child` directly if it is live and idle, nothing
// waits in queue_, and the pool is not stopping.
void process_pool_executor::manager::offer_lane(child_slot& child) {
    if (child.offered || child.pid <= 0 || child.current || child.lost_direct || !queue_.empty() ||
        stopping_) {
        return;  // already offered (idle, or claimed and awaiting reclaim), or not offerable
    }
    std::lock_guard lock(mutex_);
    child.offered = lanes_[index_of(child)].offer(child.fd);
}

void process_pool_executor::manager::offer_lanes() {
    for (auto& child : children_) {
        offer_lane(child);
    }
}

}  // namespace shoal
