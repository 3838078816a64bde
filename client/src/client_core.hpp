#pragma once
// client_core: everything behind shoal::client. One I/O thread runs an event_loop that owns
// the dealer_link (the socket); other threads reach it only through the outbox below.
//
// Outbox: submitting threads append tasks (and control operations) under one mutex and, when
// the outbox was empty, schedule one drain() with call_soon_threadsafe. drain() runs on the
// I/O thread once per loop turn, takes everything queued, and sends it as batched SUBMITs:
// many threads and many calls become few messages. The outbox is bounded: tasks not yet
// accepted by the broker (queued here or sent) count against client_options'
// max_unaccepted_tasks/bytes, and a submitting thread waits for room (try_enqueue does not).
//
// Order: one client's messages leave in the order its calls were made (the broker answers a
// connection in order, so `revoke(id)` then `fetch_state(id)` sees the task revoked). Each
// queued operation remembers how many tasks were queued before it; drain() sends the tasks
// up to there, runs the operation, and so on: consecutive submits still share a SUBMIT.
// REVOKE and REQUEUE ids are gathered into one message per kind and run, and go out before
// anything else is sent (send_controls), so many cancels in one pass still cost one message.
//
// Repair: every task is checked again after a while if nothing was heard of it (the table
// keeps when): unacknowledged ones are sent again, accepted ones asked for with FETCH, each
// time after twice as long. A busy refusal sends the task again after the broker's
// retry-after; an output_dropped notice asks again at once for everything unanswered.
//
// I/O thread state (no locks): the task table (own tasks by id), the fetch table (fetches
// and state queries by id), control requests, the ids to poll again, revokes not yet sent.
// Connection events: at every WELCOME, unacknowledged tasks are sent again in submission
// order, accepted ones are FETCHed (results pushed while the link was down are not lost),
// and outstanding requests are repeated.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include <zmq.hpp>

#include "control_requests.hpp"
#include "fetch_table.hpp"
#include "shoal/client/client.hpp"
#include "shoal/client/client_options.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/handle.hpp"
#include "shoal/proto/dealer_link.hpp"
#include "task_table.hpp"

namespace shoal::detail {

class client_core : public std::enable_shared_from_this<client_core> {
  public:
    client_core(std::string endpoint, client_options options);
    ~client_core();
    client_core(const client_core&) = delete;
    client_core& operator=(const client_core&) = delete;

    // Starts the I/O thread (once, right after construction).
    void start();

    // ---- any thread ----
    // Throw executor_shutdown_error once the client is closing. Wait while the outbox is full
    // (never on the I/O thread itself, which alone makes room).
    void enqueue(outgoing_task task);
    void enqueue_many(std::vector<outgoing_task> tasks);
    // Like enqueue, but false (and nothing queued) when the outbox is full.
    bool try_enqueue(outgoing_task& task);
    void post(callback op);
    // Like post, but silently does nothing once closing (revokes from cancel()).
    void post_if_open(callback op) noexcept;

    bool wait_connected(std::optional<double> timeout_seconds);
    bool connected() const noexcept { return connected_.load(std::memory_order_acquire); }
    bool on_io_thread() const noexcept { return std::this_thread::get_id() == thread_id_; }
    // Throws invalid_state_error on the I/O thread: a blocking call there waits for itself.
    void forbid_blocking_on_io_thread(const char* what) const;
    // Idempotent. Joins the I/O thread, unless called on it (then it finishes by itself).
    void close();

    // ---- I/O thread (from posted operations) ----
    void add_fetch_waiter(std::shared_ptr<remote_state_base> state);
    void add_state_query(const proto::task_id& id, concurrent::future<fetch_result> reply);
    void add_inspect(std::string what, concurrent::future<proto::report> reply);
    void add_admin(proto::admin request, concurrent::future<proto::report> reply);
    void add_purge(std::string queue, concurrent::future<std::uint64_t> reply);
    void add_flush_waiter(concurrent::future<bool> reply);
    void subscribe_events(event_handler on_events, concurrent::future<void> reply);
    void unsubscribe_events();
    void revoke(const proto::task_id& id, bool terminate);
    void requeue(const proto::task_id& id);

  private:
    // A control operation queued behind the tasks queued before it (see "Order" above).
    struct queued_op {
        std::size_t after_tasks;
        callback op;
    };

    void run();
    void schedule_drain_locked();
    void drain();
    // Outbox bounds (outbox_mutex_ held): room for one more task of `bytes`.
    bool has_room_locked(std::size_t bytes) const noexcept;
    void wait_for_room_locked(std::unique_lock<std::mutex>& lock, std::size_t bytes);
    void push_locked(outgoing_task&& task);
    // I/O thread: the table's unacknowledged counts changed; wake waiting submitters.
    void publish_room();

    // dealer_link events
    void on_connected(const proto::welcome& session);
    void on_lost(std::string_view why);
    void on_message(proto::command cmd, std::string_view body);

    // replies
    void on_accepted(const proto::accepted& msg);
    void on_result(const proto::result& msg);
    void on_fetched(const proto::fetched& msg);
    void on_error(const proto::error_reply& msg);
    void on_events(const proto::events& msg);
    void settle(const proto::outcome& outcome);

    // sending (each sends pending controls first: see "Order" above)
    void send_tasks(const std::vector<remote_state_base*>& tasks);
    void send_fetches(const std::vector<proto::task_id>& ids);
    template <class Message>
    void send_request(const Message& msg);
    void send_controls();
    // drain(): moves draining_tasks_[next, end) into the table and sends them.
    void send_drained_tasks(std::size_t& next, std::size_t end, double now);
    void schedule_resend();
    void resend_everything();
    void poll_later();
    void poll_now();
    // Repair of answers lost inside a session (see the header comment).
    void arm_repair();
    void repair();
    void resend_busy();

    // acknowledgements and closing
    void check_acknowledged();
    void begin_close();
    void finish_close();
    void set_connected(bool up);

    const std::string endpoint_;
    const client_options options_;

    // Owned here, used by the I/O thread only (constructed before it starts).
    zmq::context_t context_;
    std::unique_ptr<event_loop> loop_;
    std::unique_ptr<proto::dealer_link> link_;
    std::thread thread_;
    std::thread::id thread_id_;
    std::mutex join_mutex_;

    // ---- shared with other threads ----
    std::mutex outbox_mutex_;
    std::vector<outgoing_task> outbox_tasks_;  // guarded by outbox_mutex_
    std::size_t outbox_bytes_ = 0;             // guarded by outbox_mutex_: their payloads
    std::vector<queued_op> outbox_ops_;        // guarded by outbox_mutex_
    bool drain_scheduled_ = false;             // guarded by outbox_mutex_
    bool accepting_ = true;                    // guarded by outbox_mutex_
    std::condition_variable room_;             // with outbox_mutex_: the outbox has room
    std::atomic<int> room_waiters_{0};
    // The I/O thread's table: unacknowledged tasks and bytes, published for the bound.
    std::atomic<std::size_t> table_unacked_tasks_{0};
    std::atomic<std::size_t> table_unacked_bytes_{0};

    std::atomic<bool> connected_{false};
    std::mutex state_mutex_;
    std::condition_variable state_changed_;  // connected_ or closed_ changed
    bool closed_ = false;                    // guarded by state_mutex_

    // ---- I/O thread only ----
    std::vector<outgoing_task> draining_tasks_;  // swapped with outbox_tasks_: keeps capacity
    std::vector<queued_op> draining_ops_;
    std::vector<remote_state_base*> fresh_;
    task_table tasks_;
    fetch_table fetches_;
    control_requests control_;
    std::vector<concurrent::future<bool>> flush_waiters_;
    // The event subscription (subscribe_events): SUBSCRIBE is sent again in every session.
    event_handler event_handler_;
    concurrent::future<void> events_reply_;
    // REVOKE (with or without terminate) and REQUEUE ids in the order asked, not sent yet:
    // they go before the next message, at the end of this drain, or in the next session.
    enum class control_kind : std::uint8_t { revoke, terminate, requeue };
    struct pending_control {
        control_kind kind;
        proto::task_id id;
    };
    std::vector<pending_control> controls_;
    // Tasks cancelled before they left this process: the revoke their cancel() posts after
    // them has nothing to tell the broker (a tiny set: each entry lives one pass).
    std::unordered_set<proto::task_id, proto::task_id_hash> never_sent_;
    std::unordered_set<proto::task_id, proto::task_id_hash> poll_ids_;
    double poll_interval_s_;
    timer_handle poll_timer_;
    timer_handle resend_timer_;
    timer_handle repair_timer_;
    std::vector<proto::task_id> busy_;  // refused busy: sent again after the retry-after
    std::minstd_rand random_{std::random_device{}()};
    timer_handle busy_timer_;
    timer_handle close_timer_;
    bool closing_ = false;
    bool finished_ = false;
};

}  // namespace shoal::detail
