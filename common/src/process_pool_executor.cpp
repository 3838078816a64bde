// shoal::process_pool_executor: children, sockets and the manager thread.
//
// Ownership: the manager thread alone touches children_ and queue_ (after the constructor has
// handed them over by starting it), reads every child's socket, reaps, respawns, recycles and
// enforces time limits. Other threads reach it through incoming_, lanes_ and the flags under
// mutex_. Every poll() is bounded by the nearest call deadline and max_poll_wait, so a lost
// wake-up costs at most that long, never a hang.
//
// Two ways for a call to reach a child:
//   queued:  the submitter appends it to incoming_ and pokes wake_fd_ (an eventfd); the
//            manager moves it to queue_ and dispatch() writes the request to an idle child.
//   direct:  the submitter finds an idle lane (lanes_[i].idle, set by the manager), writes
//            the request to that child's socket itself, under mutex_, and parks the call in
//            lanes_[i].sent; no manager wake-up is needed to send. The manager adopts the
//            call into children_[i].current (reclaim) before it reads that child's response,
//            declares the child lost, or writes to or closes its socket. Only calls without a
//            time limit whose frame fits direct_frame_limit go direct, and only while
//            incoming_ is empty, so a direct call never overtakes a queued one.
// Lane protocol (all under mutex_): the manager offers lane i (idle = true, fd = the child's
// socket) only for a live child with no call while queue_ is empty and the pool is not
// stopping; a submitter claims it by clearing idle; the manager takes every lane back
// (reclaim_lanes_locked) whenever calls arrive in incoming_, before dispatch() sends, before
// it closes or kills a child, and when the loop ends. So lanes_[i].fd is open whenever
// lanes_[i].idle is true, and at most one request is ever outstanding per child. A direct
// write that fails marks the lane lost and requeues the call through incoming_; the manager
// then kills and replaces that child (the call did not run: it is retried elsewhere).
//
// Loop (run): take submissions -> respawn missing children -> dispatch to idle children ->
// offer idle lanes -> stop if shut down and drained -> poll -> read responses / notice deaths
// -> enforce time limits (a soft limit: SIGUSR1 to the child; a hard one: SIGKILL) -> fail
// the crashed calls whose pause is over (process_pool_crash_backoff.hpp). Terminate
// requests (process_pool_executor::terminate) arrive with the submissions: the manager looks
// for the call among the children's current calls (adopting direct calls first) and kills
// that child as at a hard limit. A child's death is noticed as EOF on its socket (the kernel
// closes it on exit), then confirmed and explained by the wait status the fork server reports
// (process_pool_spawner.hpp: children are forked by a single-threaded server, never by this
// multi-threaded process). A child that answers is offered again before its caller's future
// settles, so a caller that submits again at once finds it.

#include "shoal/common/process_pool_executor.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <mutex>
#include <sstream>
#include <system_error>
#include <thread>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "process_pool_child.hpp"
#include "process_pool_crash_backoff.hpp"
#include "process_pool_spawner.hpp"
#include "process_pool_wire.hpp"
#include "shoal/common/errors.hpp"
#include "this_task_child.hpp"

namespace shoal {
namespace {

namespace wire = detail::pool_wire;
using clock = std::chrono::steady_clock;

// A child that has not sent its ready frame by then is considered broken.
constexpr auto child_ready_timeout = std::chrono::seconds(10);
// Upper bound on one poll(): flags are rechecked at least this often.
constexpr auto max_poll_wait = std::chrono::seconds(1);
// How long a stopped or dying child may take to exit before it is SIGKILLed.
constexpr auto child_exit_grace = std::chrono::seconds(2);
// A parent write to a child that blocks this long means the child is stuck: treat it as lost.
constexpr int send_timeout_seconds = 5;
constexpr std::size_t read_chunk_bytes = 64 * 1024;
// How long the manager and the children keep looking for work before they sleep.
constexpr auto manager_spin = std::chrono::microseconds(50);
// Larger direct requests go through the manager: a write under mutex_ must never block (an
// idle child's socket buffer is empty and holds far more than this).
constexpr std::size_t direct_frame_limit = 16 * 1024;

[[noreturn]] void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

std::string describe_exit(const std::optional<int>& status) {
    if (!status) {
        return "exited with an unknown status";
    }
    if (WIFSIGNALED(*status)) {
        const int sig = WTERMSIG(*status);
        const char* abbrev = ::sigabbrev_np(sig);
        return "was killed by signal " + std::to_string(sig) + " (SIG" +
               (abbrev != nullptr ? abbrev : "?") + ")";
    }
    if (WIFEXITED(*status)) {
        return "exited with status " + std::to_string(WEXITSTATUS(*status));
    }
    return "ended with wait status " + std::to_string(*status);
}

std::string seconds_text(double seconds) {
    std::ostringstream text;
    text << seconds << " s";
    return text.str();
}

// A call between submit and its response.
struct queued_call {
    std::uint64_t id = 0;
    std::string name;
    std::string args;  // msgpack array
    std::optional<double> time_limit;
    std::optional<double> soft_time_limit;
    std::unique_ptr<detail::call_completion> completion;
    bool started = false;  // completion->start() succeeded (the future is running)
};

// One child process as the manager sees it.
struct child_slot {
    pid_t pid = -1;  // -1: no live child (a respawn failed)
    int fd = -1;     // the parent's end of the socketpair
    std::optional<queued_call> current;   // the call it runs, if busy
    std::optional<clock::time_point> deadline;  // current's hard time limit
    std::optional<clock::time_point> soft_deadline;  // current's soft limit, until signalled
    std::size_t calls_done = 0;
    bool lost_direct = false;  // a submitter's direct write to it failed (seen at reclaim)
    bool offered = false;      // its lane was offered and not reclaimed since (it may be claimed)
    wire::frame_reader reader;
};

// A crashed call whose failure waits for its crash backoff (process_pool_crash_backoff.hpp).
struct held_failure {
    clock::time_point due;
    std::unique_ptr<detail::call_completion> completion;
    std::exception_ptr error;
};

// A child as submitting threads see it (guarded by the manager's mutex_; see the top).
struct direct_lane {
    bool idle = false;  // a submitter may write one request to fd and claim the child
    bool lost = false;  // a direct write failed: the manager must replace the child
    int fd = -1;        // the child's socket; open while idle
    std::optional<queued_call> sent;  // the call a submitter wrote, not yet adopted
};

}  // namespace

class process_pool_executor::manager {
public:
    manager(std::size_t max_workers, const process_pool_options& options);
    ~manager();
    manager(const manager&) = delete;
    manager& operator=(const manager&) = delete;

    void enqueue(queued_call call);
    void request_termination(std::shared_ptr<const void> state);
    bool try_direct_locked(queued_call& call);
    void shutdown(bool wait, bool cancel_futures);
    std::vector<pid_t> pids() const;
    std::size_t size() const noexcept { return size_; }

private:
    // -- manager thread (and the constructor, before the thread starts)
    void run();
    void take_submissions();
    void respawn_missing();
    void dispatch();
    void offer_lanes();
    void offer_lane(child_slot& child);
    void reclaim_lane(child_slot& child);
    void reclaim_lanes_locked();
    void close_lane_locked(child_slot& child, direct_lane& lane);
    std::size_t index_of(const child_slot& child) const;
    bool send_call(child_slot& child, queued_call call);
    bool drained() const;
    bool may_respawn() const;
    void poll_once();
    void read_from(child_slot& child);
    void on_response(child_slot& child, const wire::response& response);
    void on_child_lost(child_slot& child, const std::string& why);
    void enforce_time_limits();
    void hold_failure(queued_call call, std::string message);
    void release_held_failures(bool all);
    void terminate_calls(const std::vector<std::shared_ptr<const void>>& states);
    void kill_running(child_slot& child, const std::exception_ptr& error);
    void retire(child_slot& child);
    void close_and_respawn(child_slot& child);
    void spawn(child_slot& slot);
    void await_ready(child_slot& slot);
    void close_inherited_fds() const;
    std::optional<int> reap(pid_t pid, clock::duration grace) { return spawner_->reap(pid, grace); }
    void stop_children();
    void fail_queued(const std::exception_ptr& error);
    std::chrono::milliseconds poll_timeout() const;
    void publish_pids();

    // -- immutable after construction
    const std::size_t size_;
    const std::optional<std::size_t> max_tasks_per_child_;
    const function_registry::table functions_;  // the registry snapshot
    int wake_fd_ = -1;                          // eventfd: "look at incoming_ and the flags"

    // -- shared with submitting threads, guarded by mutex_
    mutable std::mutex mutex_;
    std::deque<queued_call> incoming_;
    // Futures whose calls to terminate (their states; call_completion::key is the address).
    std::vector<std::shared_ptr<const void>> terminations_;
    std::uint64_t next_id_ = 1;
    bool shutting_down_ = false;
    bool cancel_requested_ = false;
    bool broken_ = false;  // the manager died of an internal error; calls fail at once
    std::vector<pid_t> pids_;
    std::vector<direct_lane> lanes_;  // lanes_[i] belongs to children_[i]

    // -- manager thread only
    std::unique_ptr<detail::pool_spawner> spawner_;  // forks and reaps every child
    std::vector<child_slot> children_;
    std::deque<queued_call> queue_;  // accepted calls waiting for an idle child
    bool stopping_ = false;          // copy of shutting_down_ taken with the last submissions
    // wake_fd_ fired (or may have): incoming_ and the flags need a look. Whoever changes them
    // pokes wake_fd_ afterwards, so skipping take_submissions() (and mutex_, which a direct
    // submitter may be holding) on passes without a poke loses nothing.
    bool woken_ = true;
    std::vector<pollfd> poll_fds_;           // reused by poll_once
    std::vector<child_slot*> poll_owners_;   // poll_owners_[i] belongs to poll_fds_[i + 1]
    bool recently_active_ = false;           // the last poll saw events: spin before sleeping
    detail::crash_backoff backoff_;
    std::vector<held_failure> held_;  // crashed calls not failed yet, in crash order
    std::unique_ptr<char[]> read_buffer_ = std::make_unique_for_overwrite<char[]>(read_chunk_bytes);

    std::mutex join_mutex_;  // one joiner at a time
    std::thread thread_;
};

// ---------------------------------------------------------------- construction, public API

process_pool_executor::manager::manager(std::size_t max_workers,
                                        const process_pool_options& options)
    : size_(max_workers),
      max_tasks_per_child_(options.max_tasks_per_child),
      functions_(options.registry->snapshot()),
      backoff_(options.crash_backoff_initial_s, options.crash_backoff_max_s) {
    if (max_workers == 0 || (max_tasks_per_child_ && *max_tasks_per_child_ == 0)) {
        throw std::invalid_argument("process_pool_executor needs max_workers and "
                                    "max_tasks_per_child of at least 1");
    }
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) {
        throw_errno("eventfd");
    }
    children_.resize(max_workers);
    lanes_.resize(max_workers);
    try {
        spawner_ = std::make_unique<detail::pool_spawner>(
            [this](int fd) { detail::run_pool_child(fd, functions_); },
            [this] { close_inherited_fds(); });
        // Fork every child first, then wait for them together.
        for (auto& child : children_) {
            spawn(child);
        }
        for (auto& child : children_) {
            await_ready(child);
        }
    } catch (...) {
        stop_children();
        ::close(wake_fd_);
        throw;
    }
    publish_pids();
    thread_ = std::thread([this] { run(); });
}

process_pool_executor::manager::~manager() {
    shutdown(true, false);
    ::close(wake_fd_);
}

void process_pool_executor::manager::enqueue(queued_call call) {
    // functions_ is immutable: no lock needed to read it.
    const bool known = functions_.contains(call.name);
    bool broken = false;
    {
        std::lock_guard lock(mutex_);
        if (shutting_down_) {
            throw executor_shutdown_error();
        }
        broken = broken_;
        if (known && !broken) {
            call.id = next_id_++;
            if (try_direct_locked(call)) {
                return;
            }
            incoming_.push_back(std::move(call));
        }
    }
    if (known && !broken) {
        const std::uint64_t one = 1;
        // A full eventfd counter (EAGAIN) still means "readable": the wake-up is not lost.
        [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
        return;
    }
    if (call.completion->start()) {
        call.completion->fail(
            broken ? std::make_exception_ptr(broken_process_pool("the process pool is broken"))
                   : std::make_exception_ptr(unknown_function_error(
                         "no function named '" + call.name + "' is registered")));
    }
}

void process_pool_executor::manager::shutdown(bool wait, bool cancel_futures) {
    {
        std::lock_guard lock(mutex_);
        shutting_down_ = true;
        cancel_requested_ = cancel_requested_ || cancel_futures;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
    if (wait) {
        std::lock_guard lock(join_mutex_);
        if (thread_.joinable()) {
            thread_.join();
        }
    }
}

void process_pool_executor::manager::request_termination(std::shared_ptr<const void> state) {
    {
        std::lock_guard lock(mutex_);
        terminations_.push_back(std::move(state));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
}

std::vector<pid_t> process_pool_executor::manager::pids() const {
    std::lock_guard lock(mutex_);
    return pids_;
}

void process_pool_executor::manager::publish_pids() {
    std::vector<pid_t> live;
    for (const auto& child : children_) {
        if (child.pid > 0) {
            live.push_back(child.pid);
        }
    }
    std::lock_guard lock(mutex_);
    pids_ = std::move(live);
}

// ---------------------------------------------------------------- the manager loop

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
        const auto error = std::make_exception_ptr(broken_process_pool(
            std::string("the process pool's manager failed: ") + e.what()));
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
            ::kill(child.pid, SIGKILL);
            on_child_lost(child, "could not be sent a call");
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
    on_child_lost(child, "could not be sent the call");
    return false;
}

// ---------------------------------------------------------------- direct lanes

std::size_t process_pool_executor::manager::index_of(const child_slot& child) const {
    return static_cast<std::size_t>(&child - children_.data());
}

// Submitting thread, mutex_ held: writes `call` straight to an idle child (see the top). True
// when the caller has nothing more to do: the call was sent, or was cancelled before it
// started. False: queue it (a failed write has marked the lane lost for the manager).
bool process_pool_executor::manager::try_direct_locked(queued_call& call) {
    if (call.time_limit || call.soft_time_limit || !incoming_.empty() ||
        call.name.size() + call.args.size() + 64 > direct_frame_limit) {
        return false;
    }
    const auto lane = std::find_if(lanes_.begin(), lanes_.end(),
                                   [](const direct_lane& candidate) { return candidate.idle; });
    if (lane == lanes_.end()) {
        return false;
    }
    if (!call.completion->start()) {
        return true;  // cancelled before it started: skipped, as dispatch() does
    }
    call.started = true;
    lane->idle = false;
    const std::string frame =
        wire::encode(wire::request{wire::request_kind::call, call.id, call.name, call.args});
    if (wire::write_all(lane->fd, frame)) {
        lane->sent = std::move(call);
        return true;
    }
    lane->lost = true;
    return false;
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
    lane.idle = false;
    if (lane.sent) {
        child.current = std::move(*lane.sent);
        lane.sent.reset();
    }
    if (lane.lost) {
        child.lost_direct = true;
        lane.lost = false;
    }
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
    if (child.offered || child.pid <= 0 || child.current || child.lost_direct ||
        !queue_.empty() || stopping_) {
        return;  // already offered (idle, or claimed and awaiting reclaim), or not offerable
    }
    std::lock_guard lock(mutex_);
    auto& lane = lanes_[index_of(child)];
    if (!lane.sent && !lane.lost) {
        lane.fd = child.fd;
        lane.idle = true;
        child.offered = true;
    }
}

void process_pool_executor::manager::offer_lanes() {
    for (auto& child : children_) {
        offer_lane(child);
    }
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
            throw_errno("poll");
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
        on_child_lost(child, "died");
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
            ::kill(child.pid, SIGKILL);
            on_child_lost(child, "sent a corrupt frame");
            return;
        }
        on_response(child, *response);
        if (child.pid != pid) {
            return;  // the child was recycled; its reader and buffered bytes are gone
        }
    }
}

void process_pool_executor::manager::on_response(child_slot& child,
                                                 const wire::response& response) {
    if (!child.current || response.id != child.current->id) {
        spdlog::warn("process pool child {} sent a response for no call (id {})", child.pid,
                     response.id);
        return;
    }
    queued_call call = std::move(*child.current);
    child.current.reset();
    child.deadline.reset();
    child.soft_deadline.reset();
    ++child.calls_done;
    // A recycled child is replaced before the future settles, as in on_child_lost.
    if (max_tasks_per_child_ && child.calls_done >= *max_tasks_per_child_) {
        retire(child);
    }
    // Before the future settles: a caller that submits again at once can go direct.
    offer_lane(child);
    if (response.kind != wire::response_kind::unknown_function) backoff_.on_return(call.name);
    switch (response.kind) {
    case wire::response_kind::ok:
        call.completion->succeed(response.a);
        break;
    case wire::response_kind::error:
        // The runtime's own limit type comes back as itself, so `catch (time_limit_exceeded&)`
        // works across the process boundary; anything else keeps its name in a task_error.
        if (response.a == "shoal::soft_time_limit_exceeded") {
            call.completion->fail(std::make_exception_ptr(soft_time_limit_exceeded(response.b)));
        } else {
            call.completion->fail(std::make_exception_ptr(task_error(response.a, response.b)));
        }
        break;
    case wire::response_kind::retry: {
        std::optional<std::chrono::milliseconds> countdown;
        if (!response.a.empty()) {
            try {
                countdown = std::chrono::milliseconds(std::stoll(response.a));
            } catch (const std::exception&) {
                // Our own child wrote it: unreadable only if memory was corrupted. No countdown.
            }
        }
        call.completion->fail(std::make_exception_ptr(retry_task(countdown, response.b)));
        break;
    }
    case wire::response_kind::unknown_function:
    case wire::response_kind::ready:  // never valid here; report rather than hang the caller
        call.completion->fail(std::make_exception_ptr(unknown_function_error(response.b)));
        break;
    }
}

void process_pool_executor::manager::on_child_lost(child_slot& child, const std::string& why) {
    reclaim_lane(child);  // adopts a direct call: it is lost with the child
    ::close(child.fd);  // first, so a child stuck writing to us gets EPIPE and exits
    child.fd = -1;
    const pid_t pid = child.pid;
    const auto status = reap(pid, child_exit_grace);
    std::optional<queued_call> lost = std::move(child.current);
    // Replace before failing the future: whoever sees the failure also sees the new child.
    close_and_respawn(child);
    if (!lost) {
        spdlog::warn("process pool child {} {} while idle: it {}", pid, why, describe_exit(status));
        return;
    }
    hold_failure(std::move(*lost), "process pool child " + std::to_string(pid) + " " + why +
                                       " while running '" + lost->name + "': it " +
                                       describe_exit(status));
}

void process_pool_executor::manager::hold_failure(queued_call call, std::string message) {
    const auto pause = backoff_.on_crash(call.name);
    if (pause.length <= clock::duration::zero() || stopping_) {
        call.completion->fail(std::make_exception_ptr(broken_process_pool(message)));
        return;
    }
    message += " (crash " + std::to_string(pause.crashes_in_a_row) + " in a row of '" + call.name +
               "': reported after " +
               seconds_text(std::chrono::duration<double>(pause.length).count()) + ")";
    held_.push_back({clock::now() + pause.length, std::move(call.completion),
                     std::make_exception_ptr(broken_process_pool(message))});
}

void process_pool_executor::manager::release_held_failures(bool all) {
    if (held_.empty()) return;
    const auto now = clock::now();
    // Moved out first: a failure's callbacks may submit (into incoming_, not here), and
    // the order of failures stays the order of crashes.
    std::vector<held_failure> due;
    for (auto it = held_.begin(); it != held_.end();) {
        if (all || it->due <= now) {
            due.push_back(std::move(*it));
            it = held_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& failure : due) failure.completion->fail(failure.error);
}

void process_pool_executor::manager::enforce_time_limits() {
    const auto now = clock::now();
    for (auto& child : children_) {
        if (!child.current) {
            continue;
        }
        if (child.soft_deadline && *child.soft_deadline <= now) {
            // Once per call; the child's handler sets the flag this_task::stop_requested() reads.
            child.soft_deadline.reset();
            ::kill(child.pid, detail::this_task_child::stop_signal);
        }
        if (!child.deadline || *child.deadline > now) {
            continue;
        }
        const pid_t pid = child.pid;
        const std::string& name = child.current->name;
        kill_running(child, std::make_exception_ptr(time_limit_exceeded(
                                "call to '" + name + "' exceeded its time limit of " +
                                seconds_text(child.current->time_limit.value_or(0.0)) +
                                "; child " + std::to_string(pid) + " was killed")));
    }
}

void process_pool_executor::manager::terminate_calls(
    const std::vector<std::shared_ptr<const void>>& states) {
    for (auto& child : children_) {
        const auto matches = [&child](const std::shared_ptr<const void>& state) {
            return state.get() == child.current->completion->key();
        };
        if (!child.current || child.pid <= 0 ||
            std::none_of(states.begin(), states.end(), matches)) {
            continue;  // a call not running (finished, or never ours) is left alone
        }
        const pid_t pid = child.pid;
        kill_running(child, std::make_exception_ptr(terminated_error(
                                "call to '" + child.current->name + "' was terminated; child " +
                                std::to_string(pid) + " was killed")));
    }
}

// Kills the child running a call, replaces it, then fails the call with `error`.
void process_pool_executor::manager::kill_running(child_slot& child,
                                                  const std::exception_ptr& error) {
    reclaim_lane(child);
    ::kill(child.pid, SIGKILL);
    ::close(child.fd);
    child.fd = -1;
    reap(child.pid, child_exit_grace);
    queued_call late = std::move(*child.current);
    close_and_respawn(child);
    late.completion->fail(error);
}

void process_pool_executor::manager::retire(child_slot& child) {
    reclaim_lane(child);
    // Best effort: a child that misses the stop frame still sees EOF once fd is closed.
    wire::write_all(child.fd, wire::encode(wire::request{wire::request_kind::stop, 0, "", ""}));
    ::close(child.fd);
    child.fd = -1;
    reap(child.pid, child_exit_grace);
    close_and_respawn(child);
}

// Precondition: child.fd is closed and child.pid reaped.
void process_pool_executor::manager::close_and_respawn(child_slot& child) {
    child = child_slot{};
    if (may_respawn()) {
        try {
            spawn(child);
            await_ready(child);
        } catch (const std::exception& e) {
            // respawn_missing retries on the next pass.
            spdlog::error("process pool could not replace a child: {}", e.what());
        }
    }
    publish_pids();
}

// ---------------------------------------------------------------- children

void process_pool_executor::manager::spawn(child_slot& slot) {
    const auto child = spawner_->spawn();
    slot = child_slot{};
    slot.pid = child.pid;
    slot.fd = child.fd;
    const timeval send_timeout{send_timeout_seconds, 0};
    ::setsockopt(slot.fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
}

// In a fork server the manager starts again after the first died: the parent's ends of the
// live children's sockets must not stay open in it (a child sees EOF only once every copy of
// the parent's end is closed).
void process_pool_executor::manager::close_inherited_fds() const {
    if (wake_fd_ >= 0) ::close(wake_fd_);
    for (const auto& other : children_) {
        if (other.fd >= 0) ::close(other.fd);
    }
}

void process_pool_executor::manager::await_ready(child_slot& slot) {
    const auto until = clock::now() + child_ready_timeout;
    std::string payload;
    for (;;) {
        const auto status = slot.reader.next(payload);
        if (status == wire::frame_reader::status::frame) {
            const auto response = wire::decode_response(payload);
            if (response && response->kind == wire::response_kind::ready) {
                return;
            }
            break;
        }
        if (status == wire::frame_reader::status::corrupt) {
            break;
        }
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - clock::now());
        pollfd fd{slot.fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0) {
            break;
        }
        const ssize_t n = ::read(slot.fd, read_buffer_.get(), read_chunk_bytes);
        if (n <= 0) {
            break;
        }
        slot.reader.append(std::string_view(read_buffer_.get(), static_cast<std::size_t>(n)));
    }
    ::close(slot.fd);
    const auto status = reap(slot.pid, clock::duration::zero());
    const pid_t pid = slot.pid;
    slot = child_slot{};
    throw broken_process_pool("process pool child " + std::to_string(pid) +
                              " did not become ready: it " + describe_exit(status));
}

void process_pool_executor::manager::stop_children() {
    const std::string stop = wire::encode(wire::request{wire::request_kind::stop, 0, "", ""});
    for (auto& child : children_) {
        if (child.fd >= 0) {
            wire::write_all(child.fd, stop);
            ::close(child.fd);
            child.fd = -1;
        }
    }
    for (auto& child : children_) {
        if (child.pid > 0) {
            reap(child.pid, child_exit_grace);
        }
        child = child_slot{};
    }
    publish_pids();
}

void process_pool_executor::manager::fail_queued(const std::exception_ptr& error) {
    for (auto& call : queue_) {
        if (call.started || call.completion->start()) {
            call.completion->fail(error);
        }
    }
    queue_.clear();
}

// ---------------------------------------------------------------- process_pool_executor

std::size_t process_pool_executor::default_max_workers() noexcept {
    return std::max(1U, std::thread::hardware_concurrency());
}

process_pool_executor::process_pool_executor(std::size_t max_workers,
                                             process_pool_options options) {
    if (options.registry == nullptr) {
        throw std::invalid_argument("process_pool_options::registry must not be null");
    }
    manager_ = std::make_unique<manager>(max_workers, options);
}

process_pool_executor::~process_pool_executor() = default;  // manager's destructor waits

concurrent::future<std::string> process_pool_executor::submit_raw(std::string name,
                                                                  std::string msgpack_args,
                                                                  const call_options& options) {
    auto future = concurrent::make_future<std::string>();
    enqueue(std::move(name), std::move(msgpack_args), options,
            std::make_unique<detail::raw_completion>(future));
    return future;
}

void process_pool_executor::shutdown(bool wait, bool cancel_futures) {
    manager_->shutdown(wait, cancel_futures);
}

std::vector<pid_t> process_pool_executor::child_pids() const { return manager_->pids(); }

std::size_t process_pool_executor::max_workers() const noexcept { return manager_->size(); }

void process_pool_executor::request_termination(std::shared_ptr<const void> state) {
    manager_->request_termination(std::move(state));
}

void process_pool_executor::enqueue(std::string name, std::string msgpack_args,
                                    const call_options& options,
                                    std::unique_ptr<detail::call_completion> completion) {
    queued_call call;
    call.name = std::move(name);
    call.args = std::move(msgpack_args);
    call.time_limit = options.time_limit;
    call.soft_time_limit = options.soft_time_limit;
    call.completion = std::move(completion);
    manager_->enqueue(std::move(call));
}

}  // namespace shoal
