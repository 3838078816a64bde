#pragma once
// broker_core: the broker's state and message handling behind shoal::broker::broker.
// Its member functions are split by concern:
//   broker_core.cpp      the port, wake-ups (drain, then dispatch and flush), tick, sending
//   sessions.cpp         HELLO, BYE, liveness, heartbeats, a worker's tasks re-queued
//   client_commands.cpp  SUBMIT, FETCH, REVOKE, PURGE, INSPECT
//   worker_commands.cpp  READY, DONE
//   outcomes.cpp         finishing a task: store, push RESULT, batch and flush output
//   task_control.cpp     admission (priority, countdown, eta, expiry), retries, dead
//                        letters and REQUEUE, the timer for what the broker holds
//   dataflow.cpp         futures as arguments: tasks held until their inputs' results are in
//   periodic.cpp         periodic tasks: schedules, their slots submitted, ADMIN periodic-*
//   durability.cpp       with Redis: recovery at startup, tasks written before ACCEPTED,
//                        results pushed once stored, FETCH of results only Redis has

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "dead_letters.hpp"
#include "delayed_tasks.hpp"
#include "dispatcher.hpp"
#include "durable/durable_store.hpp"
#include "expiry_watch.hpp"
#include "fair_share.hpp"
#include "ha/broker_lease.hpp"
#include "ha/broker_presence.hpp"
#include "inflight_table.hpp"
#include "inspect.hpp"
#include "log_limiter.hpp"
#include "message_port.hpp"
#include "observability/event_stream.hpp"
#include "observability/task_name_counts.hpp"
#include "peer_table.hpp"
#include "rate_limits.hpp"
#include "result_store.hpp"
#include "router_port.hpp"
#include "schedule/periodic_table.hpp"
#include "security/zap_handler.hpp"
#include "shoal/broker/broker_config.hpp"
#include "shoal/broker/broker_stats.hpp"
#include "shoal/common/clock.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/handle.hpp"
#include "shoal/common/http_listener.hpp"
#include "shoal/proto/codec.hpp"
#include "shoal/proto/wire.hpp"
#include "submit_rules.hpp"
#include "task_inputs.hpp"
#include "task_queues.hpp"
#include "task_routes.hpp"

namespace shoal::broker {

// Unix time in milliseconds, from the system clock.
std::uint64_t system_epoch_ms();

// The loop's time as a shoal::clock, for the result store.
class loop_clock final : public shoal::clock {
  public:
    explicit loop_clock(const event_loop& loop) : loop_(loop) {}
    double now() const override { return loop_.time(); }

  private:
    const event_loop& loop_;
};

class broker_core {
  public:
    broker_core(event_loop& loop, broker_config config, zmq::context_t* shared_context);
    ~broker_core();

    // Serves on a ROUTER socket bound to config.bind; returns the real endpoint.
    std::string bind();
    // Re-reads keys_dir (SIGHUP): new keys work at once; sessions of removed keys end, and
    // their connections are refused from then on. Throws broker_error (the old keys stay).
    void reload_keys();
    // Serves through `port` instead, which must outlive the core (tests): nothing is bound,
    // and what arrives is handed over with deliver().
    void attach(message_port& port);
    void close();
    bool is_bound() const noexcept { return port_ != nullptr; }
    const std::string& endpoint() const noexcept { return endpoint_; }
    // The HTTP listener's HOST:PORT as bound (config.http), or "" without one.
    const std::string& http_endpoint() const noexcept { return http_endpoint_; }
    const broker_config& config() const noexcept { return config_; }
    const broker_stats& stats() const noexcept { return stats_; }

    // One wake-up with these messages, as if the socket had just delivered them: each is
    // handled, then the answers of the wake-up go out (dispatch, results, Redis writes).
    void deliver(std::span<const proto::received_message> messages);
    // The wall clock (unix ms) the broker reads for what is asked in wall time (eta, expiry)
    // and what it keeps in Redis; the system clock unless a test sets its own. Durations
    // never read it: they run on the loop's steady clock.
    void set_wall_clock(std::function<std::uint64_t()> wall_ms) { wall_ms_ = std::move(wall_ms); }
    // With Redis: false while something waits for Redis (SUBMITs gathered for a write, task
    // state or results staged or sent and not answered, a FETCH lookup) or Redis is not up.
    // Redis answers through the loop, so a test on a manual clock runs the loop until this is
    // true before it looks at what the broker sent. Always true without Redis.
    bool durable_idle() const noexcept;

    // ---- active and standby (ha/active_standby.cpp; broker/README.md, "Active and standby
    // brokers"): with ha_lease_ms, bind() serves as a standby (every peer is answered ERROR
    // not_active) until this broker takes the lease in Redis; then it recovers from Redis, as
    // a restart does, and serves. A lease it can no longer be sure of (not renewed in time,
    // or a write fenced) calls lease_lost once, from the loop: this broker must stop serving
    // (the daemon starts again, as a standby).
    bool is_active() const noexcept { return !standby_; }
    std::function<void(const std::string& why)> lease_lost;
    // A planned switch (ADMIN step-down): once Redis has every write, gives the lease up,
    // then lease_lost. False when this broker holds no lease.
    bool step_down();

  private:
    // ---- ha/active_standby.cpp
    void start_standby();
    void poll_lease();
    void become_active(const std::string& token);
    void on_lease_lost(const std::string& why);
    void refresh_presence();
    void finish_step_down(double until);
    void answer_standby(const proto::received_message& msg);
    std::string ha_name() const;
    redis_endpoint redis_endpoint_of_config() const;

    // ---- broker_core.cpp
    void on_readable();
    void drain();
    void handle(const proto::received_message& msg);
    // With a key: the sender's key is still authorised, matches its session's, and its role
    // allows `cmd`; otherwise answers ERROR forbidden and returns false (security.cpp).
    bool authorised(const proto::received_message& msg, proto::command cmd, const peer* p,
                    peer_ref ref);
    void forbid(std::string_view identity, const peer* p, proto::command cmd,
                const std::string& why);
    // Whether p may see (FETCH, REVOKE, submit again) a task of `owner` (an owners_ id; the
    // User-Id for a record from Redis): its own, or any with an admin key, or any on an open
    // broker. Another key's task is answered as if the id did not exist (SECURITY.md).
    bool may_see(const peer& p, name_id owner) const noexcept;
    bool may_see(const peer& p, std::string_view owner) const noexcept;
    // p's owner id: the key it authenticated with, interned (0 on an open broker).
    name_id owner_of(const peer& p);
    // Copies the ZAP handler's counts into stats_.
    void count_authentications();
    // Starts CURVE and ZAP before the socket binds (bind()); throws broker_error.
    void open_security(router_port& router);
    // What a reload of keys_dir found, and the sessions whose key is gone.
    struct key_reload {
        std::size_t clients = 0;
        std::size_t workers = 0;
        std::size_t admins = 0;
        std::vector<peer_ref> removed;
    };
    // The first half of reload_keys(): the new keys in force, the sessions to end listed (so
    // that an admin who asked hears the answer before its own session may end).
    key_reload replace_keys();
    void end_removed_sessions(const key_reload& reload);
    void route(proto::command cmd, std::string_view body, std::string_view identity,
               std::string_view user_id, peer* p, peer_ref ref);
    void start_serving();
    void end_of_wakeup();
    // Work left for later passes (FETCH answers, expiring results): one more pass soon.
    void schedule_more_work();
    void on_more_work();
    void schedule_tick();
    void tick();
    // Frees empty lanes nobody will come back to, and names nobody uses (task_queues::reclaim).
    void reclaim_names();
    bool send_raw(peer& p, proto::command cmd, std::string_view body);
    template <class Message>
    bool send(peer& p, const Message& m) {
        return send_raw(p, Message::cmd, proto::encode(m));
    }
    // Large output (RESULT, FETCHED, REPORT) goes only within the peer's output window;
    // otherwise it is dropped (counted, logged, and the peer told once it reads again).
    bool fits_window(const peer& p, std::size_t bytes) const noexcept;
    bool send_windowed(peer& p, proto::command cmd, std::string_view body);
    template <class Message>
    bool send_windowed(peer& p, const Message& m) {
        return send_windowed(p, Message::cmd, proto::encode(m));
    }
    void send_error(std::string_view identity, std::string_view code, const std::string& message,
                    std::optional<proto::task_id> related = std::nullopt,
                    std::optional<proto::command> answers = std::nullopt);
    void reject(std::string_view identity, const peer* p, std::string_view code,
                const std::string& why);
    // Logs one line of a kind, at most one per second per kind (section 8: a peer sending
    // garbage in a loop must not flood the log).
    template <class... Args>
    void log_limited(std::string_view kind, fmt::format_string<Args...> format, Args&&... args) {
        std::uint64_t suppressed = 0;
        if (!log_limiter_.allow(kind, loop_.time(), suppressed)) return;
        const std::string line = fmt::format(format, std::forward<Args>(args)...);
        if (suppressed == 0) {
            spdlog::warn("shoal-broker: {}", line);
        } else {
            spdlog::warn("shoal-broker: {} ({} similar lines suppressed)", line, suppressed);
        }
    }
    std::string describe(std::string_view identity, const peer* p) const;

    // ---- sessions.cpp
    void on_hello(std::string_view identity, std::string_view user_id, peer* existing,
                  peer_ref existing_ref, std::string_view body);
    void end_session(peer_ref ref, std::string_view why);
    void on_heartbeat(peer& p, std::string_view body);
    // A peer acknowledged `received` bytes of its output window.
    void on_acknowledged(peer& p, std::uint64_t received);
    // A worker is gone: what it started counts a death, what it did not goes back free.
    void take_back_tasks_of(peer_ref worker, std::uint32_t slots);
    void presume_started(std::vector<inflight_task>& held, std::uint32_t slots);
    void run_again(lane_id lane, queued_task&& q);
    // Puts a task in its lane, stamped with the time it joined (queued_task::enqueued_ms), and
    // asks for a dispatch pass; at the front for a task that goes again first.
    void queue_task(lane_id lane, queued_task&& q, bool front = false);
    std::uint32_t loop_ms() const noexcept {
        return static_cast<std::uint32_t>(static_cast<std::uint64_t>(loop_.time() * 1000.0));
    }
    void check_peers(double now);

    // ---- client_commands.cpp
    void on_submit(peer_ref ref, peer& p, std::string_view body);
    // A SUBMIT's tasks, decoded; p is answered ACCEPTED (the scheduler, which has no
    // identity, is not: fire_slot looks at the store instead).
    void submit_tasks(peer_ref ref, peer& p, proto::submit& m);
    // A refusal for what is wrong with the task itself, or nullopt.
    std::optional<proto::refusal> refusal_for(const proto::submitted_task& t) const;
    // What becomes of one submitted task: the one admission rule of both paths, in memory and
    // with Redis (which only delays the queueing of a fresh task until Redis has it).
    enum class admit_verdict {
        refused,        // in reply.refused: bad, conflict, busy, unavailable, result_expired
        repeated,       // a known id with the same body: accepted again (accept_duplicate)
        being_written,  // a known id whose first write to Redis is not answered yet
        finished_now,   // new, and over at once (no worker offers its name): accept it;
                        // in memory only (with Redis, settle_submits judges the name)
        fresh,          // new: `entry` is made and charged; queue it (or write it first)
    };
    admit_verdict admit(peer_ref ref, const peer& p, proto::submitted_task& t,
                        proto::accepted& reply, task_entry*& entry);
    // A known id submitted again with the same body: accepted, not run again.
    void accept_duplicate(peer_ref ref, const proto::task_id& id, task_entry& entry,
                          proto::accepted& reply);
    // Fails at once (unknown_task) if workers are registered and none offers the name.
    bool fail_if_unknown_name(const proto::task_id& id, task_entry& entry, std::string_view name);
    void on_requeue(peer& p, std::string_view body);
    void on_revoke(const peer& p, std::string_view body);
    void revoke_task(const proto::task_id& id, bool terminate);
    void on_purge(peer_ref ref, peer& p, std::string_view body);
    // PURGEs a slice per pass (purge_slice tasks), PURGED when each is over.
    void serve_purges();
    void on_inspect(std::string_view identity, peer& p, std::string_view body);

    // ---- admin_commands.cpp
    void on_admin(std::string_view identity, peer& p, std::string_view body);

    // ---- periodic.cpp: periodic tasks (broker/README.md, "Periodic tasks")
    // At startup with Redis: the schedules Redis kept, with the last slot each fired.
    void recover_periodic(const std::vector<std::pair<std::string, std::string>>& records);
    // When serving starts: the config's schedules merged in, the timer armed.
    void start_periodic();
    // Submits what is due, then sleeps until the next slot.
    void on_periodic_timer();
    void arm_periodic_timer(std::optional<std::uint64_t> retry_at);
    // Submits the slot's task as the scheduler; false if it was refused (busy, Redis down).
    bool fire_slot(periodic_entry& e, std::uint64_t slot_ms);
    void store_periodic(const periodic_entry& e);
    proto::report_row periodic_row(const periodic_entry& e) const;
    // ADMIN periodic-add, -remove, -pause, -resume, -list.
    void on_periodic_admin(std::string_view identity, peer& p, const proto::admin& m);

    // ---- observability.cpp
    // What INSPECT reads (on_inspect) and /metrics renders.
    inspect_sources inspect_view();
    // An HTTP request's answer (/metrics, /healthz, /readyz), on the loop.
    http_answer answer_http(std::string_view path);
    void start_http();
    // The per-name counters of a task by its entry (its lane's name), and by a lane.
    void count_task(const task_entry& entry, task_event e);
    void count_lane(lane_id lane, task_event e);

    // From a worker's DONE: who ran a task, and how long (minor 4), for the event stream.
    struct ran_on {
        std::string_view worker;
        std::optional<double> runtime_s;
    };

    // ---- events.cpp: the event stream (PROTOCOL.md 6.4); each emit_ does nothing unless
    // someone subscribed.
    void on_subscribe(peer_ref ref, peer& p, std::string_view body);
    void publish_events();
    // Unix seconds for this wake-up's events.
    double event_time();
    // A task event's opening: type, uuid, and the name of its lane (when it has one).
    void begin_task_event(std::string_view type, const proto::task_id& id,
                          std::optional<lane_id> lane);
    void emit_sent(const proto::task_id& id, std::string_view name, std::string_view queue,
                   std::string_view args, const admission& a, peer_ref client);
    void emit_rejected(const proto::task_id& id, std::string_view name,
                       const proto::error_info& why);
    void emit_received(const inflight_task& t, const peer& worker);
    void emit_started(const proto::task_id& id, lane_id lane, std::uint32_t attempt,
                      const peer& worker);
    void emit_finished(const proto::task_id& id, const task_entry& entry, const proto::outcome& o,
                       const ran_on& ran);
    void emit_retried(const proto::task_id& id, lane_id lane, const proto::error_info& error,
                      std::uint32_t retries, double countdown_s);
    void emit_dead_lettered(const proto::task_id& id, lane_id lane, std::string_view reason,
                            std::uint32_t deaths);
    void emit_worker(std::string_view type, const peer& worker, std::string_view reason = {});

    // ---- fetch_work.cpp
    void on_fetch(peer_ref ref, peer& p, std::string_view body);
    proto::fetched_entry answer_for(peer_ref ref, const peer& p, const proto::task_id& id);
    // One slice of p's FETCH answers; what is left: nothing, more (next pass), or more that
    // waits for p's window to reopen (its acknowledgement schedules the next pass).
    enum class fetch_left { nothing, more, waits_for_window };
    fetch_left serve_fetch_slice(peer_ref ref, peer& p);
    void serve_fetches();
    void fetch_from_redis(peer_ref ref, std::vector<proto::fetched_entry>&& entries);

    // ---- dataflow.cpp
    // A refusal if a new task's inputs are wrong (an index past its arguments, an input the
    // submitter may not see, or one the broker does not know: then unknown_input), else
    // nullopt.
    std::optional<proto::refusal> refusal_for_inputs(const peer& p, const proto::submitted_task& t,
                                                     bool& unknown_input);
    // enqueue()'s first step for a task with inputs: held until they are final.
    void wait_for_inputs(task_entry& entry, std::string_view queue, std::string_view name,
                         queued_task&& q, const admission& a);
    // At startup with Redis: an input's result that recovery read back, stored again here.
    bool recover_input(const proto::task_id& input);
    // At startup with Redis: a task that had its inputs before the restart (held for a retry,
    // or a dead letter) gets its arguments again from the results recovery read back; false
    // if one is missing.
    bool refill_inputs(task_entry& entry, const admission& a);
    // `id`'s result is final (told to clients): its dependents get it, or fail with it.
    void result_final(const proto::task_id& id);
    void resolve_dependents(const proto::task_id& input, const task_entry& in);
    void fail_dependent(const proto::task_id& id, task_entry& dependent,
                        const proto::task_id& input, const task_entry& in);
    void release_ready(const proto::task_id& id, task_entry& dependent);

    // ---- durability.cpp
    // The SUBMITs of one wake-up whose tasks go to Redis in one write.
    struct submit_write {
        struct waiting_submit {
            peer_ref client;
            proto::accepted reply;
            std::vector<proto::task_id> duplicates;  // of tasks another write is storing
        };
        struct fresh_task {
            std::size_t submit = 0;  // index in submits
            proto::task_id id;
            std::string queue;
            std::string name;
            queued_task task;
            admission admit;
        };
        std::vector<waiting_submit> submits;
        std::vector<fresh_task> tasks;
        std::vector<std::pair<proto::task_id, std::string>> records;  // parallel to tasks
        bool settled = false;
    };

    void open_durable();
    void recover(recovery&& r);
    void submit_durably(peer_ref ref, peer& p, proto::submit& m, proto::accepted&& reply);
    void write_submits();
    void settle_submits(submit_write& w, std::vector<submit_answer>& answers);
    void on_results_stored(const std::vector<proto::task_id>& ids);
    std::string_view redis_state() const noexcept;

    // ---- task_control.cpp
    // Queues a new task, or holds it until its countdown/eta, or fails it as expired.
    void enqueue(task_entry& entry, std::string_view queue, std::string_view name, queued_task&& q,
                 const admission& a);
    // The task waits in the broker until `due`, then joins its lane.
    void hold(task_entry& entry, double due, lane_id lane, queued_task&& q);
    // A failed attempt: runs again later if its policy says so (true), else false.
    bool retry_if_asked(task_entry& entry, inflight_task& taken, proto::finished_task& f);
    // An attempt that killed what ran it (its worker, or its process-pool child): the task
    // runs again at the front of its lane, or past the delivery limit is set aside.
    void lose_attempt(task_entry& entry, lane_id lane, queued_task&& q, std::string_view how);
    void set_aside(task_entry& entry, lane_id lane, queued_task&& q, std::string reason);
    // Releases due held tasks, expires tasks past their expiry; re-arms the timer.
    void on_control_timer();
    void arm_control_timer();
    double epoch_to_loop(std::uint64_t epoch_ms) const;
    std::uint64_t epoch_ms() const { return wall_ms_(); }
    // False (and the task finished as expired) if its expiry has passed; else watched.
    bool watch_expiry(task_entry& entry, const proto::task_id& id, const admission& a);

    // ---- worker_commands.cpp
    void on_ready(peer& p, std::string_view body);
    void on_done(peer& p, std::string_view body);
    void on_started(peer& p, std::string_view body);
    void on_drain(peer_ref ref, peer& p, std::string_view body);
    bool reported_by_another(const proto::task_id& id, std::uint32_t attempt, const peer& p);
    void dispatch_all();
    std::size_t window_room(const peer& w) const;
    bool send_dispatch(peer& w, dispatch_batch& batch);

    // ---- outcomes.cpp
    void finish(const proto::task_id& id, task_entry& entry, proto::outcome&& o,
                const ran_on& ran = {});
    void finish_by_broker(const proto::task_id& id, task_entry& entry, proto::task_status status,
                          std::string code, std::string message);
    // The submitter and every client watching the task get its RESULT.
    void tell(const proto::task_id& id, peer_ref recipient, const proto::outcome& o);
    void push_result(peer_ref to, const proto::outcome& o);
    void watch(const proto::task_id& id, peer_ref client);
    void queue_flush(peer_ref ref, peer& p);
    void flush();
    void flush_results(peer& p);
    void flush_cancels(peer& p, std::vector<proto::task_id>& ids, bool terminate);
    std::size_t message_budget() const noexcept;

    event_loop& loop_;
    broker_config config_;
    proto::decode_limits limits_;
    std::unique_ptr<zmq::context_t> own_context_;
    zmq::context_t* context_;
    std::unique_ptr<router_port> router_;               // when bound
    std::unique_ptr<zap_handler> zap_;                  // when bound with a key
    std::unordered_set<std::string> authorised_users_;  // ZAP User-Ids of the current keys
    // Task owners (security.cpp's may_see): the ZAP User-Ids that ever submitted, as small
    // ids; "" (an open broker's peers) is 0. Never released: bounded by the keys authorised.
    name_table owners_;
    message_port* port_ = nullptr;  // router_, or the port attached; null when closed
    std::string endpoint_;
    timer_handle tick_timer_;

    loop_clock clock_;
    peer_table peers_;
    task_queues queues_;
    inflight_table inflight_;
    result_store store_;
    rate_limits rates_;
    task_routes routes_;  // the queue of a task that names none, by name
    dispatcher dispatcher_;
    delayed_tasks delayed_;
    expiry_watch expiries_;
    dead_letters dead_;
    timer_handle control_timer_;
    double control_timer_at_ = 0;  // when control_timer_ fires, if armed
    double rate_wake_up_ = 0;      // when a rate-limited name that was passed over has a token
    std::mt19937_64 random_{std::random_device{}()};
    std::function<std::uint64_t()> wall_ms_ = system_epoch_ms;
    // Clients that asked (FETCH, or the same SUBMIT again) about a pending task they did not
    // submit: they get its RESULT too. Kept only for such tasks, at most a few per task.
    std::unordered_map<proto::task_id, std::vector<peer_ref>, proto::task_id_hash> watchers_;
    broker_stats stats_;
    log_limiter log_limiter_;

    std::uint64_t next_seq_ = 1;
    bool dispatch_needed_ = false;
    std::size_t rotation_ = 0;           // first worker offered tasks: after the last served
    std::vector<peer_ref> flush_list_;   // peers with gathered output
    std::vector<peer_ref> fetch_peers_;  // peers with FETCH ids to answer
    struct purge_job {
        peer_ref client;
        std::string queue;
        std::uint64_t target = 0;  // tasks waiting when it was asked
        std::uint64_t done = 0;
    };
    std::deque<purge_job> purges_;
    static constexpr std::size_t purge_slice = 10'000;
    bool more_work_scheduled_ = false;
    double next_reclaim_at_ = 0;
    fair_share shares_;                    // a dispatch pass's takers and their batches, reused
    std::vector<dispatch_batch*> unsent_;  // scratch: batches whose DISPATCH was not sent
    proto::result result_batch_;           // reused for every RESULT

    // With Redis (durability.cpp): the store, the SUBMITs of this wake-up waiting for their
    // tasks' write, and the last write sent (later SUBMITs of ids it holds wait for it).
    std::unique_ptr<durable_store> durable_;
    // Active and standby (ha/active_standby.cpp).
    bool standby_ = false;
    bool lease_gone_ = false;
    std::string lease_token_;  // "EPOCH:NAME" while this broker holds the lease
    std::string lease_seen_;   // the holder a standby last logged
    std::unique_ptr<lease_keeper> lease_;
    timer_handle standby_timer_;
    std::unique_ptr<redis_connection> standby_redis_;  // a standby's tries of the lease
    bool polling_ = false;                             // a try sent, not answered yet
    std::vector<broker_presence> presence_;            // shoal:brokers as the active last read it
    timer_handle presence_timer_;
    // During recover(): the results of recovered tasks' inputs that finished before.
    const std::unordered_map<proto::task_id, result_record, proto::task_id_hash>*
        recovered_inputs_ = nullptr;

    // Futures as arguments (dataflow.cpp): the tasks waiting for inputs, and the results made
    // final that their dependents have not been given yet.
    task_inputs inputs_;
    std::deque<proto::task_id> finals_;

    // Periodic tasks (periodic.cpp), and the submitter of their slots: a peer outside the
    // table, with no identity, so nothing is ever sent to it.
    periodic_table periodic_;
    timer_handle periodic_timer_;
    peer scheduler_;
    bool resolving_ = false;
    std::unique_ptr<submit_write> gathering_;
    std::weak_ptr<submit_write> last_write_;

    // Observability (observability/): what happened per task name, and the HTTP listener.
    task_name_counts name_counts_{queues_.task_names()};
    event_stream events_;
    duration_histogram redis_latency_;  // submit writes, sent to answered (with Redis)
    double next_worker_heartbeats_at_ = 0;
    double event_time_ = -1;  // this wake-up's, once read
    std::unique_ptr<http_listener> http_;
    std::string http_endpoint_;
};

}  // namespace shoal::broker
