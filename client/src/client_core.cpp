#include "client_core.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <utility>

#include <spdlog/spdlog.h>

#include "batch_sender.hpp"
#include "default_client_name.hpp"
#include "shoal/client/errors.hpp"
#include "shoal/common/detail/hop_trace.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/version.hpp"
#include "shoal/proto/codec.hpp"

namespace shoal::detail {

namespace {

// After the socket refused a message (its queue full): long enough not to spin, short next to
// any ack timeout.
constexpr double resend_after_full_queue_s = 0.05;
// The repair sweep looks at due tasks this many times per ack timeout, bounded both ways so
// that a tiny timeout does not spin the loop and a huge one still notices within a second.
constexpr double repair_ticks_per_ack_timeout = 4;
constexpr double shortest_repair_tick_s = 0.01;
constexpr double longest_repair_tick_s = 1.0;
// Clients turned away BUSY together come back spread over [low, 1) of the retry-after.
constexpr double busy_jitter_low = 0.5;

double seconds_from_ms(std::uint32_t ms) { return ms / 1000.0; }

proto::dealer_link_options link_options(const std::string& endpoint, const client_options& o) {
    proto::dealer_link_options out;
    out.endpoint = endpoint;
    out.greeting.role = proto::peer_role::client;
    out.greeting.name = o.name.empty() ? default_client_name() : o.name;
    out.greeting.software = std::string(shoal::software);
    out.reconnect_initial_s = o.reconnect_initial_s;
    out.reconnect_max_s = o.reconnect_max_s;
    out.heartbeat_ms = o.heartbeat_ms;
    out.liveness = o.liveness;
    if (o.broker_key_file.empty() && o.key_file.empty()) {
        const char* broker_key = std::getenv("SHOAL_BROKER_KEY");
        const char* key = std::getenv("SHOAL_KEY");
        out.curve = proto::load_client_keys(broker_key ? broker_key : "", key ? key : "");
    } else {
        out.curve = proto::load_client_keys(o.broker_key_file, o.key_file);
    }
    return out;
}

std::exception_ptr closed_error() { return std::make_exception_ptr(client_closed_error()); }

}  // namespace

client_core::client_core(std::string endpoint, client_options options)
    : endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      context_(1),
      loop_(std::make_unique<event_loop>()),
      poll_interval_s_(options_.fetch_poll_initial_s) {
    proto::dealer_link_events events;
    events.connected = [this](const proto::welcome& w) { on_connected(w); };
    events.lost = [this](std::string_view why) { on_lost(why); };
    events.message = [this](proto::command cmd, std::string_view body) { on_message(cmd, body); };
    link_ = std::make_unique<proto::dealer_link>(
        *loop_, context_, link_options(endpoint_, options_), std::move(events));
}

client_core::~client_core() {
    // close() ran (the client's destructor calls it) and the thread is gone; anything else
    // here is a bug, but never leave a joinable thread to std::terminate.
    if (thread_.joinable()) {
        if (std::this_thread::get_id() == thread_id_) {
            thread_.detach();
        } else {
            thread_.join();
        }
    }
}

void client_core::start() {
    // The thread holds the core: a close() issued from the I/O thread itself (a done
    // callback destroying the client) lets it finish on its own.
    thread_ = std::thread([self = shared_from_this()] { self->run(); });
    thread_id_ = thread_.get_id();
}

void client_core::run() {
    try {
        link_->start();
    } catch (const std::exception& e) {
        // A malformed endpoint: the session never starts; waits time out, close() works.
        spdlog::error("shoal client: cannot connect to {}: {}", endpoint_, e.what());
    }
    while (!finished_) {
        loop_->run_forever();
    }
    link_.reset();  // closes the socket on the thread that used it
    loop_->close();
}

// ---------------------------------------------------------------- any thread

void client_core::schedule_drain_locked() {
    if (drain_scheduled_) return;
    drain_scheduled_ = true;
    loop_->call_soon_threadsafe([this] { drain(); });
}

bool client_core::has_room_locked(std::size_t bytes) const noexcept {
    const std::size_t tasks =
        outbox_tasks_.size() + table_unacked_tasks_.load(std::memory_order_acquire);
    const std::size_t held = outbox_bytes_ + table_unacked_bytes_.load(std::memory_order_acquire);
    // One task always fits an empty outbox, however large.
    if (tasks == 0) return true;
    return tasks < options_.max_unaccepted_tasks && held + bytes <= options_.max_unaccepted_bytes;
}

void client_core::wait_for_room_locked(std::unique_lock<std::mutex>& lock, std::size_t bytes) {
    // The I/O thread (a done callback submitting) alone makes room: it never waits.
    if (on_io_thread()) return;
    if (has_room_locked(bytes)) return;
    room_waiters_.fetch_add(1, std::memory_order_acq_rel);
    room_.wait(lock, [&] { return !accepting_ || has_room_locked(bytes); });
    room_waiters_.fetch_sub(1, std::memory_order_acq_rel);
}

void client_core::push_locked(outgoing_task&& task) {
    hop_trace::record(hop_trace::hop::caller_submit, task.state->task.id.as_bytes());
    outbox_bytes_ += task.state->task.payload.size();
    outbox_tasks_.push_back(std::move(task));
    schedule_drain_locked();
}

void client_core::enqueue(outgoing_task task) {
    std::unique_lock lock(outbox_mutex_);
    wait_for_room_locked(lock, task.state->task.payload.size());
    if (!accepting_) throw executor_shutdown_error("cannot submit to a closed shoal::client");
    push_locked(std::move(task));
}

bool client_core::try_enqueue(outgoing_task& task) {
    std::lock_guard lock(outbox_mutex_);
    if (!accepting_) throw executor_shutdown_error("cannot submit to a closed shoal::client");
    if (!on_io_thread() && !has_room_locked(task.state->task.payload.size())) return false;
    push_locked(std::move(task));
    return true;
}

void client_core::enqueue_many(std::vector<outgoing_task> tasks) {
    if (tasks.empty()) return;
    std::unique_lock lock(outbox_mutex_);
    for (auto& task : tasks) {
        wait_for_room_locked(lock, task.state->task.payload.size());
        if (!accepting_) throw executor_shutdown_error("cannot submit to a closed shoal::client");
        push_locked(std::move(task));
    }
}

void client_core::publish_room() {
    table_unacked_tasks_.store(tasks_.unacknowledged(), std::memory_order_release);
    table_unacked_bytes_.store(tasks_.unacknowledged_bytes(), std::memory_order_release);
    if (room_waiters_.load(std::memory_order_acquire) > 0) {
        std::lock_guard lock(outbox_mutex_);  // a waiter between its check and its wait sees it
        room_.notify_all();
    }
}

void client_core::post(callback op) {
    std::lock_guard lock(outbox_mutex_);
    if (!accepting_) throw executor_shutdown_error("the shoal::client is closed");
    outbox_ops_.push_back({outbox_tasks_.size(), std::move(op)});
    schedule_drain_locked();
}

void client_core::post_if_open(callback op) noexcept {
    try {
        std::lock_guard lock(outbox_mutex_);
        if (!accepting_) return;
        outbox_ops_.push_back({outbox_tasks_.size(), std::move(op)});
        schedule_drain_locked();
    } catch (const std::exception& e) {
        spdlog::error("shoal client: could not queue an operation: {}", e.what());
    }
}

void client_core::forbid_blocking_on_io_thread(const char* what) const {
    if (on_io_thread()) {
        throw invalid_state_error(std::string(what) +
                                  " on the client's own I/O thread (in a done callback) would "
                                  "wait for itself");
    }
}

bool client_core::wait_connected(std::optional<double> timeout_seconds) {
    forbid_blocking_on_io_thread("wait_connected()");
    const auto until = concurrent::detail::deadline_after(timeout_seconds);
    std::unique_lock lock(state_mutex_);
    const auto ready = [this] { return closed_ || connected_.load(std::memory_order_acquire); };
    if (!until) {
        state_changed_.wait(lock, ready);
    } else {
        state_changed_.wait_until(lock, *until, ready);
    }
    return connected_.load(std::memory_order_acquire);
}

void client_core::close() {
    {
        std::lock_guard lock(outbox_mutex_);
        if (accepting_) {
            accepting_ = false;
            room_.notify_all();  // submitters waiting for room give up (executor_shutdown_error)
            loop_->call_soon_threadsafe([this] { begin_close(); });
        }
    }
    std::lock_guard join_lock(join_mutex_);
    if (!thread_.joinable()) return;
    if (std::this_thread::get_id() == thread_id_) {
        thread_.detach();  // it holds the core and finishes the close by itself
        return;
    }
    thread_.join();
}

// ---------------------------------------------------------------- I/O thread: outbox

void client_core::drain() {
    {
        std::lock_guard lock(outbox_mutex_);
        draining_tasks_.swap(outbox_tasks_);
        draining_ops_.swap(outbox_ops_);
        drain_scheduled_ = false;
        // Still counted against the bound while they move into the table.
        table_unacked_tasks_.fetch_add(draining_tasks_.size(), std::memory_order_acq_rel);
        table_unacked_bytes_.fetch_add(outbox_bytes_, std::memory_order_acq_rel);
        outbox_bytes_ = 0;
    }
    // In the order made: the tasks queued before each operation, then the operation.
    const double now = loop_->time();
    std::size_t next_task = 0;
    for (auto& queued : draining_ops_) {
        send_drained_tasks(next_task, queued.after_tasks, now);
        try {
            queued.op();
        } catch (const std::exception& e) {
            spdlog::error("shoal client: operation failed on the I/O thread: {}", e.what());
        }
    }
    draining_ops_.clear();
    send_drained_tasks(next_task, draining_tasks_.size(), now);
    draining_tasks_.clear();
    if (tasks_.size() > 0) arm_repair();
    send_controls();  // revokes and requeues made last in this pass
    check_acknowledged();
    publish_room();
}

void client_core::send_drained_tasks(std::size_t& next, std::size_t end, double now) {
    end = std::min(end, draining_tasks_.size());
    if (next >= end) return;
    fresh_.clear();
    for (; next < end; ++next) {
        outgoing_task& t = draining_tasks_[next];
        if (t.state->cancel_requested()) {      // cancelled before it left this process
            never_sent_.insert(t.state->id());  // so its revoke, which follows, stays here too
            t.state->release_task();
            continue;
        }
        if (remote_state_base* state =
                tasks_.add(std::move(t), now + options_.ack_timeout_s, options_.ack_timeout_s)) {
            fresh_.push_back(state);
        }
    }
    send_tasks(fresh_);
    fresh_.clear();
}

// ---------------------------------------------------------------- I/O thread: operations

void client_core::add_fetch_waiter(std::shared_ptr<remote_state_base> state) {
    const proto::task_id id = state->id();
    if (finished_) {
        state->fail(closed_error());
        return;
    }
    fetches_.add_waiter(std::move(state));
    poll_interval_s_ = options_.fetch_poll_initial_s;
    send_fetches({id});
}

void client_core::add_state_query(const proto::task_id& id,
                                  concurrent::future<fetch_result> reply) {
    fetches_.add_query(id, std::move(reply));
    send_fetches({id});
}

void client_core::add_inspect(std::string what, concurrent::future<proto::report> reply) {
    proto::inspect msg{what};
    control_.add_inspect(std::move(what), std::move(reply));
    send_request(msg);
}

void client_core::add_admin(proto::admin request, concurrent::future<proto::report> reply) {
    send_request(request);
    control_.add_admin(std::move(request), std::move(reply));
}

void client_core::add_purge(std::string queue, concurrent::future<std::uint64_t> reply) {
    proto::purge msg{queue};
    control_.add_purge(std::move(queue), std::move(reply));
    send_request(msg);
}

void client_core::subscribe_events(event_handler on_events, concurrent::future<void> reply) {
    if (event_handler_) events_reply_.try_set_result();  // replaced
    event_handler_ = std::move(on_events);
    events_reply_ = std::move(reply);
    send_request(proto::subscribe{true});
}

void client_core::unsubscribe_events() {
    if (!event_handler_) return;
    event_handler_ = nullptr;
    events_reply_.try_set_result();
    send_request(proto::subscribe{false});
}

void client_core::on_events(const proto::events& msg) {
    if (!event_handler_) return;  // crossed an unsubscribe
    event_batch batch;
    batch.dropped = msg.dropped;
    batch.events.reserve(msg.items.size());
    for (const std::string& item : msg.items) {
        try {
            batch.events.push_back(cluster_event::from_msgpack(item));
        } catch (const std::exception& e) {
            spdlog::warn("shoal client: dropped an unreadable event: {}", e.what());
        }
    }
    try {
        event_handler_(batch);
    } catch (const std::exception& e) {
        spdlog::error("shoal client: the event handler threw: {}", e.what());
    }
}

void client_core::add_flush_waiter(concurrent::future<bool> reply) {
    flush_waiters_.push_back(std::move(reply));
    check_acknowledged();
}

void client_core::revoke(const proto::task_id& id, bool terminate) {
    if (!never_sent_.empty() && never_sent_.erase(id) > 0) return;  // the broker never saw it
    if (auto own = tasks_.take(id)) own->state->cancel_local();
    fetches_.cancel_waiters(id);
    poll_ids_.erase(id);
    // Sent before the next message, or at the end of this drain (send_controls).
    controls_.push_back({terminate ? control_kind::terminate : control_kind::revoke, id});
}

void client_core::requeue(const proto::task_id& id) {
    controls_.push_back({control_kind::requeue, id});  // likewise
}

// ---------------------------------------------------------------- I/O thread: link events

void client_core::on_connected(const proto::welcome& session) {
    spdlog::debug("shoal client: session {} with {} (heartbeat {} ms, batch {})", link_->sessions(),
                  endpoint_, session.heartbeat_ms, session.max_batch);
    poll_interval_s_ = options_.fetch_poll_initial_s;
    resend_everything();
    set_connected(true);
}

void client_core::on_lost(std::string_view why) {
    spdlog::info("shoal client: lost the broker at {}: {}", endpoint_, why);
    set_connected(false);
    if (closing_) finish_close();  // nobody left to acknowledge what close() waits for
}

void client_core::resend_everything() {
    if (!link_->in_session()) return;
    // 1. Revokes and requeues the old session never carried: before any FETCH that may have
    //    been asked after them, so that its answer shows their effect. (They never concern
    //    our own unacknowledged tasks: revoking one takes it out of the table.)
    send_controls();
    // 2. Unacknowledged tasks, in submission order (the broker accepts repeats idempotently).
    send_tasks(tasks_.unaccepted_in_order());
    // 3. Results we still wait on, which may have been pushed while the link was down.
    std::vector<proto::task_id> ids = tasks_.accepted_ids();
    std::vector<proto::task_id> more = fetches_.ids();
    ids.insert(ids.end(), more.begin(), more.end());
    send_fetches(ids);
    // 4. Requests the old session never answered.
    control_.for_each_request([this](const proto::inspect& m) { send_request(m); },
                              [this](const proto::admin& m) { send_request(m); },
                              [this](const proto::purge& m) { send_request(m); });
    // 5. The event subscription, which a session does not outlive.
    if (event_handler_) send_request(proto::subscribe{true});
}

void client_core::on_message(proto::command cmd, std::string_view body) {
    try {
        switch (cmd) {
            case proto::command::accepted:
                on_accepted(proto::decode<proto::accepted>(body));
                break;
            case proto::command::result:
                on_result(proto::decode<proto::result>(body));
                break;
            case proto::command::fetched:
                on_fetched(proto::decode<proto::fetched>(body));
                break;
            case proto::command::report:
                if (!control_.on_report(proto::decode<proto::report>(body))) {
                    spdlog::debug("shoal client: REPORT nobody asked for");
                }
                break;
            case proto::command::purged:
                if (!control_.on_purged(proto::decode<proto::purged>(body))) {
                    spdlog::debug("shoal client: PURGED nobody asked for");
                }
                break;
            case proto::command::error:
                on_error(proto::decode<proto::error_reply>(body));
                break;
            case proto::command::events:
                on_events(proto::decode<proto::events>(body));
                break;
            case proto::command::bye:
                spdlog::info("shoal client: the broker said BYE: {}",
                             proto::decode<proto::bye>(body).reason);
                break;
            default:
                spdlog::warn("shoal client: unexpected {} from the broker ignored",
                             proto::command_name(cmd));
                break;
        }
    } catch (const proto::decode_error& e) {
        spdlog::warn("shoal client: dropped a bad {} from the broker: {}", proto::command_name(cmd),
                     e.what());
    }
    check_acknowledged();
    publish_room();
}

// ---------------------------------------------------------------- I/O thread: replies

void client_core::on_accepted(const proto::accepted& msg) {
    const double now = loop_->time();
    for (const auto& id : msg.ids) {
        if (own_task* own = tasks_.find(id)) {
            tasks_.mark_accepted(*own);
            own->check_step = static_cast<float>(options_.result_check_s);
            own->check_at = now + options_.result_check_s;
        }
    }
    for (const auto& r : msg.refused) {
        if (r.error.type == "busy") {
            // The broker is at its budget: nothing was stored; the same task goes again.
            if (tasks_.find(r.id) != nullptr) busy_.push_back(r.id);
            continue;
        }
        auto own = tasks_.take(r.id);
        if (!own) continue;
        if (r.error.type == "result_expired") {
            // Submitted again after its result expired: it ran once, and will not again.
            own->state->fail(std::make_exception_ptr(
                result_expired_error("task " + r.id.to_hex() +
                                     " ran already and its result expired: " + r.error.message)));
            continue;
        }
        own->state->fail(std::make_exception_ptr(task_refused(
            r.error.type, r.error.message.empty() ? "refused by the broker" : r.error.message,
            r.error.where.empty() ? "broker" : r.error.where)));
    }
    if (!busy_.empty() && !busy_timer_.pending()) {
        // The broker's retry-after, jittered (busy_jitter_low), so that clients it turned away
        // together do not all come back together.
        const double after = seconds_from_ms(std::max(msg.retry_after_ms, 1u));
        const double jitter = std::uniform_real_distribution<double>(busy_jitter_low, 1.0)(random_);
        busy_timer_ = loop_->call_later(after * jitter, [this] { resend_busy(); });
    }
}

void client_core::resend_busy() {
    std::vector<remote_state_base*> again;
    for (const auto& id : busy_) {
        own_task* own = tasks_.find(id);
        if (own != nullptr && !own->accepted) again.push_back(own->state.get());
    }
    busy_.clear();
    send_tasks(again);
}

void client_core::on_result(const proto::result& msg) {
    for (const auto& o : msg.outcomes) settle(o);
}

void client_core::settle(const proto::outcome& outcome) {
    hop_trace::record(hop_trace::hop::client_result, outcome.id.as_bytes());
    if (auto own = tasks_.take(outcome.id)) own->state->complete(outcome);
    if (!fetches_.empty()) fetches_.complete(outcome);
    if (!poll_ids_.empty()) poll_ids_.erase(outcome.id);
}

void client_core::on_fetched(const proto::fetched& msg) {
    std::vector<proto::task_id> forgotten;  // accepted, but the broker lost them
    for (const auto& entry : msg.entries) {
        fetches_.answer_queries(entry);
        own_task* own = tasks_.find(entry.id);
        switch (entry.state) {
            case proto::result_state::done:
                if (entry.result) {
                    proto::outcome o = *entry.result;
                    o.id = entry.id;
                    settle(o);
                } else {
                    spdlog::warn("shoal client: FETCHED done without an outcome for {}",
                                 entry.id.to_hex());
                }
                break;
            case proto::result_state::pending:
                // The FETCH subscribed us: the result is pushed when it comes. Our own task is
                // checked again by the repair schedule; another's is polled while someone waits.
                if (!own && fetches_.has_waiters(entry.id)) {
                    poll_ids_.insert(entry.id);
                    poll_later();
                }
                break;
            case proto::result_state::unknown:
                if (own && own->accepted) {
                    tasks_.mark_unaccepted(*own);
                    forgotten.push_back(entry.id);
                }
                fetches_.fail(entry.id,
                              std::make_exception_ptr(result_unknown_error(
                                  "the broker has no record of task " + entry.id.to_hex())));
                break;
            case proto::result_state::expired: {
                const auto error = std::make_exception_ptr(
                    result_expired_error("the result of task " + entry.id.to_hex() + " expired"));
                if (auto taken = tasks_.take(entry.id)) taken->state->fail(error);
                fetches_.fail(entry.id, error);
                break;
            }
        }
    }
    // Ids the broker left for later (its reply cap, or our window): asked again shortly.
    for (const auto& id : msg.deferred) {
        if (tasks_.find(id) || fetches_.has_waiters(id) || fetches_.ids_contain(id)) {
            poll_ids_.insert(id);
            poll_later();
        }
    }
    // Looked up again: a later entry of the same message may have settled one of them.
    std::vector<remote_state_base*> resubmit;
    for (const auto& id : forgotten) {
        own_task* own = tasks_.find(id);
        if (own && !own->accepted) resubmit.push_back(own->state.get());
    }
    if (!resubmit.empty()) {
        spdlog::info("shoal client: the broker forgot {} task(s); submitting them again",
                     resubmit.size());
        send_tasks(resubmit);
    }
}

void client_core::on_error(const proto::error_reply& msg) {
    if (msg.code == "output_dropped") {
        // Results or answers to us were dropped while we did not read: ask for all again.
        spdlog::info("shoal client: the broker dropped output to this client; asking again");
        resend_everything();
        return;
    }
    const auto error = std::make_exception_ptr(broker_error(msg.code, msg.message, "broker"));
    if (msg.answers && control_.fail_oldest(*msg.answers, error)) return;
    if (msg.answers == proto::command::subscribe && event_handler_) {
        event_handler_ = nullptr;
        events_reply_.try_set_exception(error);
        return;
    }
    if (!msg.related) {
        spdlog::warn("shoal client: the broker answered ERROR {}: {}", msg.code, msg.message);
        return;
    }
    if (auto own = tasks_.take(*msg.related)) own->state->fail(error);
    fetches_.fail(*msg.related, error);
}

// ---------------------------------------------------------------- I/O thread: sending

void client_core::send_tasks(const std::vector<remote_state_base*>& tasks) {
    if (tasks.empty() || !link_->in_session()) return;  // the next WELCOME sends them
    send_controls();
    if (!send_submits(*link_, tasks_, tasks)) schedule_resend();
}

void client_core::send_fetches(const std::vector<proto::task_id>& ids) {
    if (ids.empty() || !link_->in_session()) return;  // the next WELCOME asks again
    send_controls();
    if (!send_ids<proto::fetch>(*link_, ids)) schedule_resend();
}

template <class Message>
void client_core::send_request(const Message& msg) {
    if (!link_->in_session()) return;  // the next WELCOME repeats every outstanding request
    send_controls();
    if (!link_->send(msg)) schedule_resend();
}

void client_core::send_controls() {
    if (controls_.empty() || !link_->in_session()) return;  // kept for the next session
    // One message per run of the same kind, in the order asked.
    std::vector<proto::task_id> ids;
    std::size_t i = 0;
    while (i < controls_.size()) {
        const std::size_t run_start = i;
        const control_kind kind = controls_[i].kind;
        ids.clear();
        for (; i < controls_.size() && controls_[i].kind == kind; ++i)
            ids.push_back(controls_[i].id);
        bool sent = false;
        switch (kind) {
            case control_kind::revoke:
                sent = send_ids<proto::revoke>(*link_, ids);
                break;
            case control_kind::terminate:
                sent = send_ids<proto::revoke>(
                    *link_, ids, +[](proto::revoke& m) { m.terminate = true; });
                break;
            case control_kind::requeue:
                sent = send_ids<proto::requeue>(*link_, ids);
                break;
        }
        if (!sent) {
            // Kept from this run on (a repeat is harmless: the broker treats it idempotently).
            controls_.erase(controls_.begin(),
                            controls_.begin() + static_cast<std::ptrdiff_t>(run_start));
            schedule_resend();
            return;
        }
    }
    controls_.clear();
}

void client_core::schedule_resend() {
    // The socket's queue was full (or the session ended under us): try again shortly.
    // Everything unanswered is repeated; the broker treats repeats idempotently.
    if (resend_timer_.pending() || finished_) return;
    resend_timer_ = loop_->call_later(resend_after_full_queue_s, [this] { resend_everything(); });
}

void client_core::poll_later() {
    if (poll_timer_.pending() || finished_) return;
    poll_timer_ = loop_->call_later(poll_interval_s_, [this] { poll_now(); });
}

void client_core::poll_now() {
    std::vector<proto::task_id> ids;
    for (const auto& id : poll_ids_) {
        if (tasks_.find(id) || fetches_.has_waiters(id) || fetches_.ids_contain(id))
            ids.push_back(id);
    }
    poll_ids_.clear();
    poll_interval_s_ = std::min(poll_interval_s_ * 2, options_.fetch_poll_max_s);
    send_fetches(ids);  // when not in a session, the next WELCOME asks anyway
}

void client_core::arm_repair() {
    if (repair_timer_.pending() || finished_) return;
    // Often enough for the shortest check; each task is looked at only once it is due.
    const double tick = std::max(
        shortest_repair_tick_s,
        std::min(longest_repair_tick_s, options_.ack_timeout_s / repair_ticks_per_ack_timeout));
    repair_timer_ = loop_->call_later(tick, [this] { repair(); });
}

void client_core::repair() {
    if (finished_ || tasks_.size() == 0) return;
    const double now = loop_->time();
    std::vector<std::pair<std::uint64_t, remote_state_base*>> resend;
    std::vector<proto::task_id> ask;
    tasks_.for_each([&](const proto::task_id& id, own_task& t) {
        if (t.check_at > now) return;
        t.check_step =
            static_cast<float>(std::min<double>(t.check_step * 2.0, options_.result_check_max_s));
        t.check_at = now + t.check_step;
        if (t.accepted) {
            ask.push_back(id);
        } else {
            resend.emplace_back(t.seq, t.state.get());
        }
    });
    if (!resend.empty()) {
        std::sort(resend.begin(), resend.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<remote_state_base*> states;
        states.reserve(resend.size());
        for (const auto& [seq, state] : resend) states.push_back(state);
        spdlog::debug("shoal client: {} task(s) not acknowledged in time; sending them again",
                      states.size());
        send_tasks(states);
    }
    if (!ask.empty()) send_fetches(ask);
    arm_repair();
}

// ---------------------------------------------------------------- I/O thread: closing

void client_core::check_acknowledged() {
    if (tasks_.unacknowledged() != 0) return;
    for (auto& w : flush_waiters_) {
        w.try_set_result(true);
    }
    flush_waiters_.clear();
    if (closing_) finish_close();
}

void client_core::begin_close() {
    drain();  // what was submitted before close() still goes out
    closing_ = true;
    if (link_->in_session() && tasks_.unacknowledged() > 0 && options_.close_grace_s > 0) {
        close_timer_ = loop_->call_later(options_.close_grace_s, [this] { finish_close(); });
        return;  // check_acknowledged() finishes as soon as the broker has acknowledged all
    }
    finish_close();
}

void client_core::finish_close() {
    if (finished_) return;
    finished_ = true;
    close_timer_.cancel();
    poll_timer_.cancel();
    resend_timer_.cancel();
    repair_timer_.cancel();
    busy_timer_.cancel();
    link_->close("client closed");
    const auto error = closed_error();
    tasks_.fail_all(error);
    fetches_.fail_all(error);
    control_.fail_all(error);
    if (event_handler_) {
        event_handler_ = nullptr;
        events_reply_.try_set_exception(error);
    }
    publish_room();
    for (auto& w : flush_waiters_) {
        w.try_set_result(false);
    }
    flush_waiters_.clear();
    {
        std::lock_guard lock(state_mutex_);
        closed_ = true;
        connected_.store(false, std::memory_order_release);
    }
    state_changed_.notify_all();
    loop_->stop();
}

void client_core::set_connected(bool up) {
    {
        std::lock_guard lock(state_mutex_);
        connected_.store(up, std::memory_order_release);
    }
    state_changed_.notify_all();
}

}  // namespace shoal::detail
