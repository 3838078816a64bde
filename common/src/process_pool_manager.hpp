#pragma once
// shoal::process_pool_executor's manager: children, sockets and the manager thread.
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
//   direct:  the submitter finds an idle lane (process_pool_direct_lane.hpp), writes the
//            request to that child's socket itself, under mutex_, and parks the call in the
//            lane. Only calls that fit a lane go direct, and only while incoming_ is empty, so
//            a direct call never overtakes a queued one.
// The manager offers lane i only for a live child with no call while queue_ is empty and the
// pool is not stopping, and takes every lane back (reclaim_lanes_locked) whenever calls arrive
// in incoming_, before dispatch() sends, before it ends a child, and when the loop ends.
//
// The jobs, by file:
//   process_pool_executor.cpp      construction, submission, shutdown, the public API
//   process_pool_manager_loop.cpp  the loop: take submissions, dispatch, poll, read responses
//   process_pool_direct_lane.*     the direct lane
//   process_pool_children.cpp      starting, ending and replacing children (the fork server:
//                                  process_pool_spawner.*; the child's side: process_pool_child.*)
//   process_pool_time_limits.cpp   time limits, terminate(), crash backoff holds
//   process_pool_outcomes.cpp      a child's response -> the call's value or typed exception
//
// Loop (run): take submissions -> respawn missing children -> dispatch to idle children ->
// offer idle lanes -> stop if shut down and drained -> poll -> read responses / notice deaths
// -> enforce time limits (a soft limit: SIGUSR1 to the child; a hard one: SIGKILL) -> fail
// the crashed calls whose pause is over (process_pool_crash_backoff.hpp). Terminate requests
// arrive with the submissions: the manager looks for the call among the children's current
// calls (adopting direct calls first) and kills that child as at a hard limit. A child's
// death is noticed as EOF on its socket (the kernel closes it on exit), then confirmed and
// explained by the wait status the fork server reports (children are forked by a
// single-threaded server, never by this multi-threaded process). A child that answers is
// offered again before its caller's future settles, so a caller that submits again at once
// finds it.

#include <poll.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "process_pool_crash_backoff.hpp"
#include "process_pool_direct_lane.hpp"
#include "process_pool_spawner.hpp"
#include "process_pool_wire.hpp"
#include "shoal/common/process_pool_executor.hpp"

namespace shoal::detail::pool {

using clock = std::chrono::steady_clock;

// A child that has not sent its ready frame by then is considered broken.
inline constexpr auto child_ready_timeout = std::chrono::seconds(10);
// Upper bound on one poll(): flags are rechecked at least this often.
inline constexpr auto max_poll_wait = std::chrono::seconds(1);
// How long a stopped or dying child may take to exit before it is SIGKILLed.
inline constexpr auto child_exit_grace = std::chrono::seconds(2);
// A parent write to a child that blocks this long means the child is stuck: treat it as lost.
inline constexpr int send_timeout_seconds = 5;
inline constexpr std::size_t read_chunk_bytes = std::size_t{64} * 1024;
// How long the manager keeps looking for work before it sleeps.
inline constexpr auto manager_spin = std::chrono::microseconds(50);

// One child process as the manager sees it.
struct child_slot {
    pid_t pid = -1;                                  // -1: no live child (a respawn failed)
    int fd = -1;                                     // the parent's end of the socketpair
    std::optional<queued_call> current;              // the call it runs, if busy
    std::optional<clock::time_point> deadline;       // current's hard time limit
    std::optional<clock::time_point> soft_deadline;  // current's soft limit, until signalled
    std::size_t calls_done = 0;
    bool lost_direct = false;  // a submitter's direct write to it failed (seen at reclaim)
    bool offered = false;      // its lane was offered and not reclaimed since (it may be claimed)
    pool_wire::frame_reader reader;
};

// A crashed call whose failure waits for its crash backoff (process_pool_crash_backoff.hpp).
struct held_failure {
    clock::time_point due;
    std::unique_ptr<call_completion> completion;
    std::exception_ptr error;
};

// "exited with status 1", "was killed by signal 9 (SIGKILL)", ...
std::string describe_exit(const std::optional<int>& status);
// "0.5 s"
std::string seconds_text(double seconds);

}  // namespace shoal::detail::pool

namespace shoal {

class process_pool_executor::manager {
  public:
    using queued_call = detail::pool::queued_call;
    using child_slot = detail::pool::child_slot;

    manager(std::size_t max_workers, const process_pool_options& options);
    ~manager();
    manager(const manager&) = delete;
    manager& operator=(const manager&) = delete;

    void enqueue(queued_call call);
    void request_termination(std::shared_ptr<const void> state);
    void shutdown(bool wait, bool cancel_futures);
    std::vector<pid_t> pids() const;
    std::size_t size() const noexcept { return size_; }

  private:
    // -- submitting threads, mutex_ held
    bool try_direct_locked(queued_call& call);

    // -- manager thread (and the constructor, before the thread starts)
    void run();
    void take_submissions();
    void respawn_missing();
    void dispatch();
    bool send_call(child_slot& child, queued_call call);
    bool drained() const;
    bool may_respawn() const;
    std::chrono::milliseconds poll_timeout() const;
    void poll_once();
    void read_from(child_slot& child);
    void fail_queued(const std::exception_ptr& error);

    void offer_lanes();
    void offer_lane(child_slot& child);
    void reclaim_lane(child_slot& child);
    void reclaim_lanes_locked();
    void close_lane_locked(child_slot& child, detail::pool::direct_lane& lane);
    std::size_t index_of(const child_slot& child) const;

    void on_response(child_slot& child, const detail::pool_wire::response& response);

    // How end_child ends a child.
    enum class ending {
        close_socket,  // it died, or will not read: close its socket, reap it (SIGKILL after a
                       // grace)
        ask_to_stop,   // recycled: a stop frame, then close and reap
        kill,          // a time limit, terminate(), a corrupt frame: SIGKILL, close and reap
    };
    struct ended {
        pid_t pid = -1;
        std::optional<int> status;           // its wait status, if known
        std::optional<queued_call> running;  // the call it ran, now the caller's to settle
    };
    // The one way a child ends: takes its lane back (adopting a direct call), ends it as
    // `how` says, closes its socket, reaps it, and starts its replacement before the caller
    // settles the call it ran (whoever sees that call's outcome also sees the new child).
    ended end_child(child_slot& child, ending how);
    void on_child_lost(child_slot& child, const std::string& why, ending how);
    void kill_running(child_slot& child, const std::exception_ptr& error);
    void spawn(child_slot& slot);
    void await_ready(child_slot& slot);
    void replace(child_slot& child);
    void close_inherited_fds() const;
    void stop_children();
    void publish_pids();

    void enforce_time_limits();
    void terminate_calls(const std::vector<std::shared_ptr<const void>>& states);
    void hold_failure(queued_call call, std::string message);
    void release_held_failures(bool all);

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
    std::vector<detail::pool::direct_lane> lanes_;  // lanes_[i] belongs to children_[i]

    // -- manager thread only
    std::unique_ptr<detail::pool_spawner> spawner_;  // forks and reaps every child
    std::vector<child_slot> children_;
    std::deque<queued_call> queue_;  // accepted calls waiting for an idle child
    bool stopping_ = false;          // copy of shutting_down_ taken with the last submissions
    // wake_fd_ fired (or may have): incoming_ and the flags need a look. Whoever changes them
    // pokes wake_fd_ afterwards, so skipping take_submissions() (and mutex_, which a direct
    // submitter may be holding) on passes without a poke loses nothing.
    bool woken_ = true;
    std::vector<pollfd> poll_fds_;          // reused by poll_once
    std::vector<child_slot*> poll_owners_;  // poll_owners_[i] belongs to poll_fds_[i + 1]
    bool recently_active_ = false;          // the last poll saw events: spin before sleeping
    detail::crash_backoff backoff_;
    std::vector<detail::pool::held_failure> held_;  // crashed calls not failed yet, in crash order
    std::unique_ptr<char[]> read_buffer_ =
        std::make_unique_for_overwrite<char[]>(detail::pool::read_chunk_bytes);

    std::mutex join_mutex_;  // one joiner at a time
    std::thread thread_;
};

}  // namespace shoal
