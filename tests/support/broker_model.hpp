#pragma once
// The broker's tables against a reference model: random sequences of SUBMIT (countdown, eta,
// expiry, priority, retry policies, several queues and names, duplicates, conflicts, the
// queued-bytes budget), worker HELLO / READY / DISPATCH / STARTED / DONE (ok, failed, retried,
// self-retry, crashed child) / DRAIN / BYE, worker and client deaths, a worker reconnecting
// under a new identity, REVOKE, PURGE, dead letters and REQUEUE, FETCH, time passing (holds,
// expiry, result TTL, the broker's reclaim of empty lanes), late and foreign results, checked
// after every step: no task lost, stranded or counted twice.
//
// The broker core runs in-process on a manual clock (tests/support/broker_harness.hpp). The
// model below knows, for every task id, where the task is (queued in which lane and where in
// it, held until when, running at which worker with which attempt and whether it started, a
// dead letter, done with which outcome, or forgotten after its result TTL), what each worker
// was sent and may still be sent (its credit), and what each client must be told. After every
// step the broker must agree:
//
//   - every DISPATCH is exactly what the broker's dispatch rule gives from the model's lanes
//     (highest priority first, then oldest head, of the names it offers in the queues it
//     consumes; the workers taking turns, one task a turn, idle slots first), within the
//     worker's credit, with the task's
//     current attempt, never an attempt sent before, and nothing is left queued that a worker
//     with credit could take (nothing stranded);
//   - every RESULT is one the model expects at that moment, to that client session, and each
//     expected one arrives (a task's result once, plus the dead-letter notice and the repeats
//     a duplicate SUBMIT asks for); CANCEL, ERROR, ACCEPTED, PURGED, FETCHED likewise;
//   - every counter of broker_stats equals the model's, and INSPECT stats (queued, held,
//     active, dead, pending, results, tombstones, queued_bytes, peers), queues, active, dead
//     and workers (credit, held, done, late) report what the model holds;
//   - deaths: a silent peer dies within one tick of its liveness; of a dead worker's tasks
//     only started ones (STARTED, or presumed started within its slots) count a death, and a
//     task is dead-lettered exactly when its deaths reach max_attempts.
// Each sequence ends by letting every worker go, requeueing the dead letters and running
// everything left on one worker: every accepted task must end, and the budgets return to 0.
//
// Time is the model's too: one step of the harness is one broker tick (30 ms), every time the
// model asks for (countdowns, eta, retry waits, expiry) falls between two ticks, and the
// result TTL (1 s when short) is no multiple of a tick, so the model knows at which tick
// everything happens. Two things the model does not fix are observed and checked instead:
// the order in which one wake-up offers tasks to its workers (every order of the workers that
// got a DISPATCH is tried), and the tick of a death (liveness is a float comparison that may
// fall either side at exactly 360 ms: both that tick and the next are accepted). At most one
// peer is silent (dying) at a time, so that two deaths never share a tick.
//
// With Redis (model_options::redis) the loop runs after every step, the clock standing still,
// until nothing waits for Redis (broker_core::durable_idle), and the model knows what differs:
// new tasks are judged and queued once written (their budget held until then), results are
// told once stored, an id the broker forgot is looked up in Redis (FETCH answers its stored
// result), and a restart step replaces the broker by a new one on the same Redis, which
// recovers every unfinished task (see op_restart) while results stay Redis's alone.
//
// Not modelled: rate limits and the output window (the model would have to predict token
// buckets and acknowledged bytes); Redis failing.
//
// Used by tests/unit/broker/broker_model_test.cpp (in memory; also with a message limit so
// small that DISPATCH, RESULT and FETCHED are split into several messages) and
// tests/integration/broker_model_durable_test.cpp (with Redis, and broker restarts). A failure
// prints its seed and every step; to replay it, run the test that failed with
// SHOAL_MODEL_SEED=<seed> (SHOAL_MODEL_VERBOSE=1 prints the steps as they run), e.g.
//     SHOAL_MODEL_SEED=2 build/test-release/tests/unit_broker_broker_model_test
//     --gtest_filter='*Agree*'
// (--gtest_filter='*Small*' for the small messages).
// SHOAL_MODEL_SEQUENCES=<n> runs n sequences per test instead of the default (more on
// demand), SHOAL_MODEL_FIRST_SEED=<s> starts from another seed.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "broker_harness.hpp"
#include "inspect.hpp"
#include "task_extras.hpp"

namespace shoal::broker::testing::model {

namespace proto = shoal::proto;

// ------------------------------------------------------------------------------ knobs

inline std::uint64_t env_number(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    return std::strtoull(v, nullptr, 10);
}

// ------------------------------------------------------------------------------ time

constexpr std::uint32_t heartbeat_ms = 120;
constexpr std::uint32_t liveness = 3;
constexpr std::int64_t tick_ms = heartbeat_ms / 4;  // the broker's tick, the harness's step
constexpr double tick_s = heartbeat_ms / 4000.0;
constexpr std::int64_t dead_after_ms = std::int64_t{heartbeat_ms} * liveness;
constexpr double clock_start_s = shoal::testing::manual_clock::default_start_seconds;
constexpr std::uint64_t wall_base_ms = 1'700'000'000'000;

// A duration that ends between two ticks (10 ms past one): whatever tick it starts on, the
// tick at which it is over is certain. Doubled any number of times (retry back-off) it still
// never lands on a tick: 10 * 2^k is never a multiple of 30.
inline std::int64_t between_ticks(std::uint64_t ticks) {
    return static_cast<std::int64_t>(ticks) * tick_ms + 10;
}

// ------------------------------------------------------------------------------ random

class random_source {
  public:
    explicit random_source(std::uint64_t seed) : g_(seed) {}
    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : g_() % n; }
    bool chance(std::uint64_t percent) { return below(100) < percent; }
    template <class C>
    auto& of(C& c) {
        return c[below(c.size())];
    }

  private:
    std::mt19937_64 g_;
};

// ------------------------------------------------------------------------------ model types

inline std::uint32_t n_of(const proto::task_id& id) {
    return (std::uint32_t{id.bytes[12]} << 24) | (std::uint32_t{id.bytes[13]} << 16) |
           (std::uint32_t{id.bytes[14]} << 8) | std::uint32_t{id.bytes[15]};
}

struct lane_key {
    std::string queue;
    std::string name;
    std::uint32_t priority = 0;
    friend auto operator<=>(const lane_key&, const lane_key&) = default;
};

// A session of a peer: its identity and which HELLO of it.
struct session_ref {
    std::string identity;
    std::uint64_t session = 0;
    friend bool operator==(const session_ref&, const session_ref&) = default;
};

// done: its result is in the broker's store; forgotten: its result expired there (a tombstone
// remembers the id; with Redis, Redis still has the result); stored: with Redis, after a
// restart, only Redis has its result.
enum class task_state { queued, held, active, dead, done, forgotten, stored };

inline const char* to_text(task_state s) {
    switch (s) {
        case task_state::queued:
            return "queued";
        case task_state::held:
            return "held";
        case task_state::active:
            return "active";
        case task_state::dead:
            return "dead";
        case task_state::done:
            return "done";
        case task_state::forgotten:
            return "forgotten";
        case task_state::stored:
            return "stored";
    }
    return "?";
}

struct model_task {
    std::uint32_t n = 0;
    proto::submitted_task body;
    std::uint64_t seq = 0;
    lane_key lane;
    std::uint32_t charge = 0;
    task_state state = task_state::queued;
    std::uint32_t attempt = 1;
    std::uint32_t deaths = 0;
    std::uint32_t retries = 0;
    session_ref recipient;
    std::vector<session_ref> watchers;  // clients told too (FETCH, a duplicate SUBMIT)
    proto::outcome outcome;             // once done
    std::int64_t done_ms = 0;
    std::set<std::uint32_t> dispatched;  // attempts sent to a worker
    std::uint32_t lease_attempt = 0;     // with Redis: the attempt of its lease (restart: + 1)
};

// The broker's in-flight table: a task a worker holds (revoked ones stay until reported).
struct model_inflight {
    session_ref worker;
    std::uint32_t attempt = 0;
    std::uint64_t dispatch_no = 0;
    bool started = false;
    bool revoked = false;
};

// A record waiting in the broker's delayed heap (countdown, eta, retry wait); it stays until
// its time even if its task ended meanwhile, and is dropped then.
struct model_hold {
    std::int64_t due_ms = 0;  // the tick it is released at: the first at or after this
    double due_s = 0;         // the broker's own due time (loop seconds): the order of release
    std::uint64_t order = 0;  // ties keep the order of arrival
    std::uint32_t n = 0;
    std::uint64_t until_wall = 0;  // the unix ms the broker keeps in Redis for it
};

struct model_expiry {
    std::int64_t at_ms = 0;
    std::uint32_t n = 0;
};

// What a worker holds as the worker sees it: sent, not yet reported.
struct worker_hold {
    std::uint32_t n = 0;
    std::uint32_t attempt = 0;
    bool started_sent = false;
    bool cancelled = false;
};

struct model_worker {
    std::string identity;
    std::string name;  // its identity, or the identity it had before it reconnected
    bool registered = false;
    std::uint64_t session = 0;
    std::uint32_t slots = 1;
    std::uint32_t prefetch = 0;
    std::set<std::string> names;
    std::set<std::string> queues;  // it consumes (its HELLO named none: default)
    std::uint64_t capacity = 0;
    std::uint64_t credit = 0;
    std::uint64_t held = 0;
    std::uint64_t done = 0;
    std::uint64_t late = 0;
    bool draining = false;
    bool silenced = false;
    std::int64_t last_heard_ms = 0;
    std::vector<worker_hold> holds;
    std::vector<proto::task_attempt> stale;  // held by an earlier session: late if reported
    session_ref ref() const { return {identity, session}; }
};

struct model_client {
    std::string identity;
    bool registered = false;
    std::uint64_t session = 0;
    bool silenced = false;
    std::int64_t last_heard_ms = 0;
    session_ref ref() const { return {identity, session}; }
};

using lane_map = std::map<lane_key, std::deque<std::uint32_t>>;
using mailbox = std::map<std::string, std::vector<sent_message>>;
using round_mail = std::map<std::string, std::vector<proto::dispatched_task>>;

inline std::string describe(const proto::outcome& o) {
    std::string s = fmt::format("t{}:{}", n_of(o.id), proto::to_string(o.status));
    if (o.status == proto::task_status::ok) {
        s += "[" + o.payload + "]";
    } else {
        s += "(" + o.error.type + "@" + o.error.where + ")";
    }
    return s;
}

inline std::string describe(const proto::fetched_entry& e) {
    std::string s = fmt::format("t{}:{}", n_of(e.id), proto::to_string(e.state));
    if (e.result) s += "=" + describe(*e.result);
    return s;
}

struct stat_field {
    const char* name;
    std::uint64_t broker_stats::*field;
};
// Every counter of broker_stats: the model predicts each one.
inline constexpr stat_field all_counters[] = {
    {"submitted", &broker_stats::submitted},
    {"duplicates", &broker_stats::duplicates},
    {"refused", &broker_stats::refused},
    {"dispatched", &broker_stats::dispatched},
    {"completed", &broker_stats::completed},
    {"late_results", &broker_stats::late_results},
    {"revoked_results", &broker_stats::revoked_results},
    {"requeued", &broker_stats::requeued},
    {"revoked", &broker_stats::revoked},
    {"unknown_task", &broker_stats::unknown_task},
    {"lost", &broker_stats::lost},
    {"dead_lettered", &broker_stats::dead_lettered},
    {"requeued_dead", &broker_stats::requeued_dead},
    {"retried", &broker_stats::retried},
    {"expired_tasks", &broker_stats::expired_tasks},
    {"expired", &broker_stats::expired},
    {"workers_dead", &broker_stats::workers_dead},
    {"clients_dead", &broker_stats::clients_dead},
    {"invalid_messages", &broker_stats::invalid_messages},
    {"unexpected_messages", &broker_stats::unexpected_messages},
    {"repeated_hellos", &broker_stats::repeated_hellos},
    {"foreign_results", &broker_stats::foreign_results},
    {"recovered", &broker_stats::recovered},
    {"unavailable", &broker_stats::unavailable},
    {"undelivered", &broker_stats::undelivered},
    {"busy", &broker_stats::busy},
    {"output_dropped", &broker_stats::output_dropped},
    {"tasks_returned", &broker_stats::tasks_returned},
    {"deaths_spared", &broker_stats::deaths_spared},
};

inline const std::vector<std::string> queue_names = {"default", "q1", "q2"};
inline const std::vector<std::string> worker_ids = {"w1", "w2", "w3", "w4"};
inline const std::vector<std::string> client_ids = {"c1", "c2"};
inline constexpr const char* observer = "obs";  // the client that INSPECTs; never submits

// ------------------------------------------------------------------------------ the run

struct model_options {
    // A message limit (1200 bytes) so small that DISPATCH, RESULT and FETCHED are split into
    // several messages (about two tasks each).
    bool small_messages = false;
    // A Redis URL: the broker keeps its tasks there, and sequences restart it now and then.
    std::string redis;
    // Called before each sequence (e.g. to empty Redis).
    std::function<void()> before_each;
};

class model_run {
  public:
    model_run(std::uint64_t seed, const model_options& options, bool verbose)
        : seed_(seed),
          random_(seed),
          small_messages_(options.small_messages),
          durable_(!options.redis.empty()),
          verbose_(verbose) {
        config_ = harness_config();
        if (small_messages_) config_.max_message_bytes = 1200;
        if (durable_) {
            config_.redis = options.redis;
            config_.redis_timeout_ms = 60'000;  // time stands still while Redis answers anyway
        }
        config_.heartbeat_ms = heartbeat_ms;
        config_.liveness = liveness;
        config_.max_attempts = static_cast<std::uint32_t>(1 + random_.below(3));
        config_.result_ttl_s = random_.chance(30) ? 1 : 3600;
        config_.max_queued_bytes =
            random_.chance(25) ? 1200 + random_.below(1500) : std::uint64_t{1} << 30;
        steps_ = static_cast<int>(60 + random_.below(41));
        h_ = std::make_unique<broker_harness>(config_, wall_now());
        for (const auto& w : worker_ids) workers_[w].identity = workers_[w].name = w;
        for (const auto& c : client_ids) clients_[c].identity = c;
        clients_[observer].identity = observer;
        note(
            fmt::format("config: max_attempts {}, result_ttl_s {}, max_queued_bytes {}, "
                        "max_message_bytes {}{}, {} steps",
                        config_.max_attempts, config_.result_ttl_s, config_.max_queued_bytes,
                        config_.max_message_bytes, durable_ ? ", with Redis" : "", steps_));
    }

    // Runs the sequence; false if the broker and the model disagreed (reported already).
    bool run() {
        settle_redis();
        client_hello(clients_[observer]);
        for (const auto& c : client_ids) client_hello(clients_[c]);
        const auto first_workers = 1 + random_.below(3);
        for (std::uint64_t i = 0; i < first_workers && !failed_; ++i) {
            worker_hello(workers_[worker_ids[i]]);
            if (!failed_) op_ready(workers_[worker_ids[i]]);
        }
        for (int i = 0; i < steps_ && !failed_; ++i) {
            random_step();
            if (!failed_) check_everything();
        }
        if (!failed_) run_everything_left();
        if (::testing::Test::HasFailure() && !failed_)
            fail("a harness expectation failed (see above)");
        return !failed_;
    }

    std::string report() const {
        std::string s =
            fmt::format("model test seed {} (replay: SHOAL_MODEL_SEED={}):\n", seed_, seed_);
        for (const auto& f : failures_) s += "  FAILED: " + f + "\n";
        s += "steps:\n";
        for (const auto& l : log_) s += "  " + l + "\n";
        return s;
    }

    std::size_t tasks_accepted() const { return tasks_.size(); }
    std::size_t steps_taken() const { return steps_done_; }
    std::int64_t time_ms() const { return now_ms_; }
    // The counters of every broker of the run (a restart starts them again).
    broker_stats counters() const {
        broker_stats all = earlier_;
        for (const auto& c : all_counters) all.*(c.field) += want_.*(c.field);
        return all;
    }

  private:
    // ------------------------------------------------------------------ bookkeeping

    void note(std::string line) {
        line = fmt::format("[{:>5} ms] ", now_ms_) + line;
        if (verbose_) std::cout << line << std::endl;
        log_.push_back(std::move(line));
    }
    void fail(const std::string& what) {
        failed_ = true;
        if (failures_.size() < 12) failures_.push_back(fmt::format("at {} ms: {}", now_ms_, what));
    }
    template <class A, class B>
    void expect_equal(const A& broker, const B& model, const std::string& what) {
        if (!(broker == model))
            fail(fmt::format("{}: broker says {}, model says {}", what, broker, model));
    }

    std::uint64_t wall_now() const { return wall_base_ms + static_cast<std::uint64_t>(now_ms_); }
    std::int64_t wall_to_model(std::uint64_t wall) const {
        return static_cast<std::int64_t>(wall) - static_cast<std::int64_t>(wall_base_ms);
    }

    model_task& task(std::uint32_t n) { return tasks_.at(n); }
    const model_task& task(std::uint32_t n) const { return tasks_.at(n); }
    std::uint64_t seq_of(std::uint32_t n) const { return tasks_.at(n).seq; }

    // Delivers one message from a peer (one wake-up of the broker).
    template <class M>
    void deliver(const std::string& from, const M& m) {
        h_->send(from, m);
        if (auto w = workers_.find(from); w != workers_.end() && w->second.registered) {
            w->second.last_heard_ms = now_ms_;
        }
        if (auto c = clients_.find(from); c != clients_.end() && c->second.registered) {
            c->second.last_heard_ms = now_ms_;
        }
    }

    // With Redis, the loop runs (the clock standing still) until nothing waits for Redis: what
    // Redis answers (a write of tasks, of results, a FETCH lookup) makes the broker send what
    // waited for it.
    void settle_redis() {
        if (!durable_ || failed_) return;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!h_->core().durable_idle()) {
            if (std::chrono::steady_clock::now() > deadline)
                return fail("Redis work did not settle within 30 s");
            h_->run_once();
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    }

    // Everything the broker sent since the last look, HEARTBEATs left out, by identity (after
    // what waited for Redis).
    mailbox collect() {
        settle_redis();
        mailbox mail;
        for (auto& [identity, queue] : h_->port().outbox) {
            for (auto& m : queue) {
                if (m.cmd != proto::command::heartbeat) mail[identity].push_back(std::move(m));
            }
            queue.clear();
        }
        return mail;
    }

    // Takes the one reply of type M to `who` out of the mail.
    template <class M>
    std::optional<M> take_reply(mailbox& mail, const std::string& who) {
        auto it = mail.find(who);
        if (it != mail.end()) {
            auto& list = it->second;
            for (auto m = list.begin(); m != list.end(); ++m) {
                if (m->cmd != M::cmd) continue;
                M decoded = proto::decode<M>(m->body);
                list.erase(m);
                return decoded;
            }
        }
        fail(fmt::format("no {} came to {}", proto::command_name(M::cmd), who));
        return std::nullopt;
    }

    // ------------------------------------------------------------------ model: tasks

    bool offered_by_someone(const std::string& name) const {
        for (const auto& [id, w] : workers_) {
            if (w.registered && w.names.count(name) > 0) return true;
        }
        return false;
    }
    std::size_t registered_workers() const {
        std::size_t n = 0;
        for (const auto& [id, w] : workers_) n += w.registered ? 1 : 0;
        return n;
    }

    void push_result(const session_ref& to, const proto::outcome& o) {
        auto it = clients_.find(to.identity);
        if (it == clients_.end() || !it->second.registered || it->second.session != to.session)
            return;
        want_results_[to.identity].push_back(describe(o));
    }

    void tell(model_task& t, const proto::outcome& o) {
        push_result(t.recipient, o);
        for (const auto& w : t.watchers) {
            if (!(w == t.recipient)) push_result(w, o);
        }
        t.watchers.clear();
    }

    void watch(model_task& t, const session_ref& who) {
        if (t.watchers.size() >= 16) return;
        if (std::find(t.watchers.begin(), t.watchers.end(), who) == t.watchers.end())
            t.watchers.push_back(who);
    }

    void finish(model_task& t, proto::outcome o) {
        o.id = t.body.id;
        if (o.status != proto::task_status::ok) o.payload.clear();
        t.state = task_state::done;
        queued_bytes_ -= t.charge;
        t.outcome = o;
        t.done_ms = now_ms_;
        if (durable_) {
            // Told once Redis has stored it (after the tick, if a tick ended it).
            unconfirmed_.push_back(t.n);
        } else {
            tell(t, o);
        }
    }

    void confirm_results() {
        for (const auto n : unconfirmed_) tell(task(n), task(n).outcome);
        unconfirmed_.clear();
    }

    void finish_by_broker(model_task& t, proto::task_status status, const std::string& code) {
        proto::outcome o;
        o.status = status;
        o.error = proto::error_info{code, "", "broker"};
        finish(t, std::move(o));
    }

    void lane_push_back(model_task& t) {
        t.state = task_state::queued;
        lanes_[t.lane].push_back(t.n);
    }
    void lane_push_front(model_task& t) {
        t.state = task_state::queued;
        lanes_[t.lane].push_front(t.n);
    }
    void lane_remove(const model_task& t) {
        const auto lane = lanes_.find(t.lane);
        const auto it = lane == lanes_.end()
                            ? std::deque<std::uint32_t>::iterator{}
                            : std::find(lane->second.begin(), lane->second.end(), t.n);
        if (lane == lanes_.end() || it == lane->second.end()) {
            fail(fmt::format("model: t{} is not in its lane", t.n));
            return;
        }
        lane->second.erase(it);
        if (lane->second.empty()) lanes_.erase(lane);  // only lanes holding tasks are kept
    }

    // `due_s` is computed as the broker computes it, from the loop's time in seconds: two
    // holds due at the same millisecond are released in the order of their float due times.
    void hold(model_task& t, std::int64_t due_ms, double due_s) {
        t.state = task_state::held;
        // broker_core::hold: the wall time kept in Redis, whole milliseconds (truncated).
        const auto until =
            wall_now() + static_cast<std::uint64_t>(std::max(0.0, (due_s - loop_now()) * 1000.0));
        holds_.push_back({due_ms, due_s, next_hold_order_++, t.n, until});
    }
    double loop_now() const { return h_->clock().now(); }
    // broker_core::epoch_to_loop
    double epoch_to_loop(std::uint64_t epoch_ms) const {
        const std::uint64_t now_ms = wall_now();
        const double from_now = epoch_ms >= now_ms
                                    ? static_cast<double>(epoch_ms - now_ms) / 1000.0
                                    : -static_cast<double>(now_ms - epoch_ms) / 1000.0;
        return loop_now() + from_now;
    }

    void run_again(model_task& t) {
        ++t.attempt;
        ++want_.requeued;
        lane_push_front(t);
    }

    void set_aside(model_task& t) {
        ++want_.dead_lettered;
        proto::outcome o;
        o.id = t.body.id;
        o.status = proto::task_status::lost;
        o.error = proto::error_info{"dead_letter", "", "broker"};
        tell(t, o);
        t.state = task_state::dead;
        dead_.push_back(t.n);
    }

    void lose_attempt(model_task& t) {
        ++t.deaths;
        t.lease_attempt = t.attempt;
        if (t.deaths >= config_.max_attempts) {
            set_aside(t);
        } else {
            run_again(t);
        }
    }

    // A worker's session ends (BYE, HELLO again, death): what it held goes back.
    void end_worker_session(model_worker& w) {
        std::vector<std::uint32_t> held;
        for (const auto& [n, e] : inflight_) {
            if (e.worker == w.ref()) held.push_back(n);
        }
        // Presumed started: of the tasks not heard to start, the earliest sent, up to its
        // free slots.
        std::size_t known = 0;
        for (const auto n : held) known += inflight_.at(n).started ? 1 : 0;
        if (known < w.slots) {
            std::vector<std::uint32_t> unknown;
            for (const auto n : held) {
                if (!inflight_.at(n).started && !inflight_.at(n).revoked) unknown.push_back(n);
            }
            std::sort(unknown.begin(), unknown.end(), [&](auto a, auto b) {
                return inflight_.at(a).dispatch_no < inflight_.at(b).dispatch_no;
            });
            for (std::size_t i = 0; i < unknown.size() && known + i < w.slots; ++i)
                inflight_.at(unknown[i]).started = true;
        }
        std::sort(held.begin(), held.end(), [&](auto a, auto b) { return seq_of(a) > seq_of(b); });
        for (const auto n : held) {
            const model_inflight e = inflight_.at(n);
            inflight_.erase(n);
            if (e.revoked) continue;
            model_task& t = task(n);
            if (t.state != task_state::active) {
                fail(fmt::format("model: t{} in flight but {}", n, to_text(t.state)));
                continue;
            }
            if (e.started) {
                lose_attempt(t);
            } else {
                ++want_.deaths_spared;
                run_again(t);
            }
        }
        w.registered = false;
        for (const auto& hold_view : w.holds)
            w.stale.push_back({task(hold_view.n).body.id, hold_view.attempt});
        w.holds.clear();
        w.credit = 0;
        w.held = 0;
        if (silent_ == w.identity) silent_.reset();
    }

    void end_client_session(model_client& c) {
        c.registered = false;
        if (silent_ == c.identity) silent_.reset();
    }

    // ------------------------------------------------------------------ model: retries

    struct retry_choice {
        bool retry = false;
        std::int64_t delay_ms = 0;
        std::optional<proto::error_info> give_up;
    };

    retry_choice decide_retry(const model_task& t, const proto::outcome& o,
                              std::optional<std::uint64_t> countdown) {
        retry_choice d;
        if (o.status != proto::task_status::failed) return d;
        const bool self = o.error.type == self_retry_type;
        const proto::task_options& x = t.body.options;
        if (!self && !x.max_retries) return d;
        const std::uint32_t max = x.max_retries.value_or(default_self_retries);
        if (t.retries >= max) {
            if (self)
                d.give_up =
                    proto::error_info{std::string(max_retries_exceeded_type), "", o.error.where};
            return d;
        }
        if (!self && !x.retry_on.empty() &&
            std::find(x.retry_on.begin(), x.retry_on.end(), o.error.type) == x.retry_on.end()) {
            return d;
        }
        d.retry = true;
        if (self && countdown) {
            d.delay_ms = static_cast<std::int64_t>(*countdown);
            return d;
        }
        std::uint64_t delay = x.retry_delay_ms.value_or(default_retry_delay_ms);
        if (x.retry_backoff.value_or(false)) {
            delay <<= std::min<std::uint32_t>(t.retries, 40);
            delay = std::min(delay, x.retry_backoff_max_ms.value_or(default_retry_backoff_max_ms));
        }
        if (x.retry_jitter.value_or(true) && delay > 0) {
            fail("model: a jittered retry wait (the generator must not ask for one)");
        }
        d.delay_ms = static_cast<std::int64_t>(delay);
        return d;
    }

    // ------------------------------------------------------------------ model: time

    // The control timer's work at this tick: held tasks due join their lanes (earliest
    // first), then tasks past their expiry that did not start end `expired`.
    void control_timer() {
        std::vector<model_hold> due;
        std::vector<model_hold> later;
        for (const auto& hold_record : holds_)
            (hold_record.due_ms <= now_ms_ ? due : later).push_back(hold_record);
        holds_ = std::move(later);
        std::sort(due.begin(), due.end(), [](const model_hold& a, const model_hold& b) {
            return a.due_s != b.due_s ? a.due_s < b.due_s : a.order < b.order;
        });
        for (const auto& hold_record : due) {
            model_task& t = task(hold_record.n);
            if (t.state != task_state::held) continue;  // ended while held: dropped now
            lane_push_back(t);
        }
        std::vector<model_expiry> keep;
        std::vector<model_expiry> now;
        for (const auto& e : expiries_) (e.at_ms <= now_ms_ ? now : keep).push_back(e);
        expiries_ = std::move(keep);
        std::sort(now.begin(), now.end(),
                  [](const model_expiry& a, const model_expiry& b) { return a.at_ms < b.at_ms; });
        for (const auto& e : now) {
            model_task& t = task(e.n);
            if (t.state == task_state::queued) {
                lane_remove(t);
            } else if (t.state != task_state::held) {
                continue;  // running, a dead letter, or over: it stands
            }
            ++want_.expired_tasks;
            finish_by_broker(t, proto::task_status::expired, "expired");
        }
    }

    // The store's expiry at this tick: results past their TTL are forgotten.
    void expire_results() {
        const std::int64_t ttl_ms = static_cast<std::int64_t>(config_.result_ttl_s) * 1000;
        for (auto& [n, t] : tasks_) {
            if (t.state == task_state::done && t.done_ms + ttl_ms <= now_ms_) {
                t.state = task_state::forgotten;
                ++want_.expired;
            }
        }
    }

    // ------------------------------------------------------------------ dispatch rounds

    // The tasks worker w takes from `lanes` now, at most `count`: highest priority, then the
    // oldest head, across the lanes of the names it offers.
    std::vector<std::uint32_t> take_for(lane_map& lanes, const model_worker& w,
                                        std::size_t count) const {
        std::vector<std::uint32_t> out;
        while (out.size() < count) {
            std::deque<std::uint32_t>* best = nullptr;
            const lane_key* best_key = nullptr;
            for (auto& [key, q] : lanes) {
                if (q.empty() || !takes(w, key)) continue;
                if (best == nullptr || key.priority > best_key->priority ||
                    (key.priority == best_key->priority &&
                     seq_of(q.front()) < seq_of(best->front()))) {
                    best = &q;
                    best_key = &key;
                }
            }
            if (best == nullptr) break;
            out.push_back(best->front());
            best->pop_front();
        }
        return out;
    }

    // What each worker takes from `lanes` in one dispatch pass (broker/src/fair_share.hpp): the
    // workers take turns in `order`, one task a turn, first up to their idle slots, then up to
    // their credit, until none can take any more.
    std::map<std::string, std::vector<std::uint32_t>> share_out(
        lane_map& lanes, const std::vector<std::string>& order) const {
        std::map<std::string, std::vector<std::uint32_t>> took;
        for (const bool idle_slots_only : {true, false}) {
            for (bool any = true; any;) {
                any = false;
                for (const auto& who : order) {
                    const model_worker& w = workers_.at(who);
                    auto& mine = took[who];
                    const std::uint64_t holds = w.held + mine.size();
                    const std::uint64_t credit = w.credit - mine.size();
                    const std::uint64_t allowed =
                        idle_slots_only ? std::min(credit, w.slots > holds ? w.slots - holds : 0)
                                        : credit;
                    if (allowed == 0) continue;
                    const auto one = take_for(lanes, w, 1);
                    if (one.empty()) continue;
                    mine.push_back(one.front());
                    any = true;
                }
            }
        }
        return took;
    }

    bool has_work(const lane_map& lanes, const model_worker& w) const {
        for (const auto& [key, q] : lanes) {
            if (!q.empty() && takes(w, key)) return true;
        }
        return false;
    }

    // A worker takes from a lane whose task name it offers, in a queue it consumes.
    static bool takes(const model_worker& w, const lane_key& key) {
        return w.names.count(key.name) > 0 && w.queues.count(key.queue) > 0;
    }

    std::string describe_lanes() const {
        std::vector<std::string> parts;
        for (const auto& [key, q] : lanes_) {
            if (q.empty()) continue;
            std::string s = fmt::format("{}/{}/p{}:", key.queue, key.name, key.priority);
            for (const auto n : q)
                s += fmt::format(" t{}#{}(seq {})", n, task(n).attempt, seq_of(n));
            parts.push_back(s);
        }
        return parts.empty() ? "(empty)" : join(parts);
    }
    std::string describe_round(const round_mail& got) const {
        std::vector<std::string> parts;
        for (const auto& [who, tasks] : got) {
            std::string s = who + " <-";
            for (const auto& d : tasks) s += fmt::format(" t{}#{}", n_of(d.id), d.attempt);
            parts.push_back(s);
        }
        for (const auto& [id, w] : workers_) {
            if (w.registered) {
                parts.push_back(fmt::format("{}: credit {} names {} queues {}", id, w.credit,
                                            join({w.names.begin(), w.names.end()}),
                                            join({w.queues.begin(), w.queues.end()})));
            }
        }
        return join(parts);
    }

    // One dispatch_all as observed: each worker's DISPATCH of the wake-up. Some order of the
    // workers must reproduce every DISPATCH from the model's lanes, the workers taking turns
    // (share_out) until each has taken all it may (credit) or all there is for it; then the
    // tasks are in flight.
    void dispatch_round(const round_mail& got, const char* when) {
        if (got.empty()) {
            // Nothing sent: nothing was there for a worker with credit.
            for (const auto& [who, w] : workers_) {
                if (w.registered && w.credit > 0 && has_work(lanes_, w)) {
                    return fail(fmt::format(
                        "{}: nothing dispatched, but {} has credit {} and the lanes hold {}", when,
                        who, w.credit, describe_lanes()));
                }
            }
            return;
        }
        std::vector<std::string> order;
        for (const auto& [who, tasks] : got) {
            auto it = workers_.find(who);
            if (it == workers_.end() || !it->second.registered) {
                fail(fmt::format("{}: DISPATCH to {}, which has no session", when, who));
                return;
            }
            if (tasks.size() > it->second.credit) {
                fail(fmt::format("{}: DISPATCH of {} tasks to {} beyond its credit {}", when,
                                 tasks.size(), who, it->second.credit));
                return;
            }
            order.push_back(who);
        }
        bool matched = false;
        do {
            lane_map lanes = lanes_;
            auto shares = share_out(lanes, order);
            bool ok = true;
            for (const auto& who : order) {
                const auto& want = got.at(who);
                const auto& took = shares[who];
                if (took.size() != want.size()) ok = false;
                for (std::size_t i = 0; ok && i < took.size(); ++i) {
                    ok = took[i] == n_of(want[i].id) && task(took[i]).attempt == want[i].attempt;
                }
                if (!ok) break;
            }
            // Nothing left that a worker with credit could take (one that got nothing had
            // nothing to take: had it had a turn, it would have taken).
            for (const auto& [who, w] : workers_) {
                const std::uint64_t took = shares.count(who) > 0 ? shares.at(who).size() : 0;
                if (ok && w.registered && w.credit > took && has_work(lanes, w)) ok = false;
            }
            if (ok) {
                matched = true;
                break;
            }
        } while (std::next_permutation(order.begin(), order.end()));
        if (!matched) {
            fail(fmt::format(
                "{}: the DISPATCHes are not what the lanes give (or a task was left for a worker "
                "with credit): {}; lanes: {}",
                when, got.empty() ? "(none)" : describe_round(got), describe_lanes()));
            return;
        }
        for (const auto& who : order) {
            model_worker& w = workers_.at(who);
            std::string sent = "  " + who + " <- DISPATCH";
            for (const auto& d : got.at(who)) sent += fmt::format(" t{}#{}", n_of(d.id), d.attempt);
            note(sent);
            for (const auto& d : got.at(who)) {
                const auto n = n_of(d.id);
                model_task& t = task(n);
                if (t.state != task_state::queued) {
                    fail(fmt::format("{}: t{} dispatched while {}", when, n, to_text(t.state)));
                    return;
                }
                if (!t.dispatched.insert(d.attempt).second) {
                    fail(fmt::format("{}: t{} attempt {} dispatched a second time", when, n,
                                     d.attempt));
                }
                if (d.name != t.body.name || d.payload != t.body.payload ||
                    d.options.time_limit_ms != t.body.options.time_limit_ms ||
                    d.options.soft_time_limit_ms != t.body.options.soft_time_limit_ms) {
                    fail(fmt::format("{}: t{} dispatched with another name, payload or time limits",
                                     when, n));
                }
                lane_remove(t);
                t.state = task_state::active;
                t.lease_attempt = d.attempt;
                inflight_[n] =
                    model_inflight{w.ref(), d.attempt, next_dispatch_no_++, false, false};
                --w.credit;
                ++w.held;
                ++want_.dispatched;
                w.holds.push_back({n, d.attempt, false, false});
            }
        }
    }

    // ------------------------------------------------------------------ settling a wake-up

    // Everything sent in a step but the op's own reply: DISPATCH (one round, or two in a tick
    // where a worker died: before and after its death), CANCEL, ERROR, RESULT.
    void settle(mailbox& mail, const std::function<void()>& death = {},
                const std::string& dying = "") {
        round_mail first;
        round_mail second;
        std::set<std::uint32_t> of_the_dying;
        if (!dying.empty()) {
            for (const auto& [n, e] : inflight_) {
                if (e.worker.identity == dying) of_the_dying.insert(n);
            }
        }
        // The dying worker's DISPATCH came before its death; so did every worker's first.
        if (auto it = mail.find(dying); !dying.empty() && it != mail.end()) {
            for (const auto& m : it->second) {
                if (m.cmd != proto::command::dispatch) continue;
                for (const auto& d : proto::decode<proto::dispatch>(m.body).tasks)
                    of_the_dying.insert(n_of(d.id));
            }
        }
        for (auto& [who, list] : mail) {
            std::size_t messages[2] = {0, 0};
            for (auto m = list.begin(); m != list.end();) {
                if (m->cmd != proto::command::dispatch) {
                    ++m;
                    continue;
                }
                auto tasks = proto::decode<proto::dispatch>(m->body).tasks;
                m = list.erase(m);
                // After the death, only its tasks can be sent (every worker with credit had
                // taken all it could before); before it, none of them could.
                bool after = false;
                if (!dying.empty() && who != dying) {
                    for (const auto& d : tasks) after = after || of_the_dying.count(n_of(d.id)) > 0;
                }
                if (!after && second.count(who) > 0) {
                    fail(
                        fmt::format("DISPATCH to {}: a message of the wake-up before a death came "
                                    "after one of the "
                                    "wake-up after it",
                                    who));
                    return;
                }
                ++messages[after ? 1 : 0];
                auto& into = (after ? second : first)[who];
                into.insert(into.end(), tasks.begin(), tasks.end());
            }
            // One DISPATCH per worker per wake-up, unless the message limit cut it.
            if (!small_messages_ && (messages[0] > 1 || messages[1] > 1)) {
                fail(fmt::format("{} DISPATCH messages to {} in one wake-up",
                                 std::max(messages[0], messages[1]), who));
                return;
            }
        }
        dispatch_round(first, dying.empty() ? "dispatch" : "dispatch before a death");
        if (death) death();
        if (!second.empty() || death) dispatch_round(second, "dispatch after a death");
        if (failed_) return;

        // CANCEL
        for (auto& [who, list] : mail) {
            std::vector<std::string> got;
            for (auto m = list.begin(); m != list.end();) {
                if (m->cmd == proto::command::cancel) {
                    const auto c = proto::decode<proto::cancel>(m->body);
                    std::vector<std::string> ids;
                    for (const auto& id : c.ids) ids.push_back(fmt::format("t{}", n_of(id)));
                    std::sort(ids.begin(), ids.end());
                    got.push_back(fmt::format("{}{}", c.terminate ? "terminate " : "", join(ids)));
                    if (auto w = workers_.find(who); w != workers_.end()) {
                        for (auto& hv : w->second.holds) {
                            for (const auto& id : c.ids) {
                                if (n_of(id) == hv.n) hv.cancelled = true;
                            }
                        }
                    }
                    m = list.erase(m);
                } else {
                    ++m;
                }
            }
            std::sort(got.begin(), got.end());
            auto& want = want_cancels_[who];
            std::sort(want.begin(), want.end());
            if (got != want)
                fail(fmt::format("CANCEL to {}: broker sent [{}], model expects [{}]", who,
                                 join(got), join(want)));
        }
        for (const auto& [who, want] : want_cancels_) {
            if (!want.empty() && mail.count(who) == 0)
                fail(fmt::format("CANCEL to {}: none came, model expects [{}]", who, join(want)));
        }
        want_cancels_.clear();

        // ERROR and RESULT
        confirm_results();
        std::map<std::string, std::vector<std::string>> got_errors;
        std::map<std::string, std::vector<std::string>> got_results;
        for (auto& [who, list] : mail) {
            for (const auto& m : list) {
                if (m.cmd == proto::command::error) {
                    got_errors[who].push_back(proto::decode<proto::error_reply>(m.body).code);
                } else if (m.cmd == proto::command::result) {
                    for (const auto& o : proto::decode<proto::result>(m.body).outcomes)
                        got_results[who].push_back(describe(o));
                } else {
                    fail(fmt::format("unexpected {} to {}", proto::command_name(m.cmd), who));
                }
            }
        }
        compare_lists("ERROR", got_errors, want_errors_);
        compare_lists("RESULT", got_results, want_results_);
    }

    void compare_lists(const char* what, std::map<std::string, std::vector<std::string>>& got,
                       std::map<std::string, std::vector<std::string>>& want) {
        std::set<std::string> who;
        for (const auto& [k, v] : got) who.insert(k);
        for (const auto& [k, v] : want) who.insert(k);
        for (const auto& k : who) {
            auto g = got[k];
            auto w = want[k];
            std::sort(g.begin(), g.end());
            std::sort(w.begin(), w.end());
            if (g != w)
                fail(fmt::format("{} to {}: broker sent [{}], model expects [{}]", what, k, join(g),
                                 join(w)));
        }
        want.clear();
    }

    // ------------------------------------------------------------------ time passing

    // One broker tick: live peers heartbeat, the clock moves 30 ms, the control timer fires
    // (holds due, expiries), then the tick itself (deaths, results past their TTL).
    void one_tick() {
        for (auto& [id, w] : workers_) {
            if (w.registered && !w.silenced) w.last_heard_ms = now_ms_;
        }
        for (auto& [id, c] : clients_) {
            if (c.registered && !c.silenced) c.last_heard_ms = now_ms_;
        }
        h_->advance(tick_s);
        now_ms_ += tick_ms;
        control_timer();
        mailbox mail = collect();

        // Did the silent peer die at this tick?
        std::string dying_worker;
        bool client_died = false;
        const broker_stats& s = h_->stats();
        if (silent_) {
            const bool is_worker = workers_.count(*silent_) > 0;
            const std::int64_t last = is_worker ? workers_.at(*silent_).last_heard_ms
                                                : clients_.at(*silent_).last_heard_ms;
            const std::int64_t quiet = now_ms_ - last;
            const bool died = is_worker ? s.workers_dead > want_.workers_dead
                                        : s.clients_dead > want_.clients_dead;
            if (died && quiet < dead_after_ms)
                fail(fmt::format("{} declared dead after {} ms of silence", *silent_, quiet));
            if (!died && quiet >= dead_after_ms + tick_ms)
                fail(fmt::format("{} still alive after {} ms of silence", *silent_, quiet));
            if (died && is_worker) dying_worker = *silent_;
            if (died && !is_worker) client_died = true;
        }
        if (s.workers_dead > want_.workers_dead + (dying_worker.empty() ? 0 : 1) ||
            s.clients_dead > want_.clients_dead + (client_died ? 1 : 0)) {
            fail("a peer that never went silent was declared dead");
            return;
        }
        // A client's death first: with Redis the results of this tick are told only once
        // stored, after it (in memory they were told before it, and are expected already).
        if (client_died) {
            note(fmt::format("  {} dies", *silent_));
            ++want_.clients_dead;
            end_client_session(clients_.at(*silent_));
        }
        std::function<void()> death;
        if (!dying_worker.empty()) {
            death = [this, dying_worker] {
                note(fmt::format("  {} dies", dying_worker));
                ++want_.workers_dead;
                end_worker_session(workers_.at(dying_worker));
            };
        }
        settle(mail, death, dying_worker);
        expire_results();
        check_counters();
    }

    void advance(std::uint64_t ticks) {
        for (std::uint64_t i = 0; i < ticks && !failed_; ++i) one_tick();
    }

    // ------------------------------------------------------------------ ops: sessions

    void client_hello(model_client& c) {
        note(fmt::format("{}: HELLO (client)", c.identity));
        if (c.registered) {
            ++want_.repeated_hellos;
            end_client_session(c);
        }
        h_->hello_client(c.identity);
        c.registered = true;
        c.silenced = false;
        c.session = next_session_++;
        c.last_heard_ms = now_ms_;
        if (silent_ == c.identity) silent_.reset();
        mailbox mail = collect();
        settle(mail);
    }

    void client_bye(model_client& c) {
        note(fmt::format("{}: BYE", c.identity));
        deliver(c.identity, proto::bye{"model"});
        h_->silence(c.identity);
        c.silenced = true;
        end_client_session(c);
        mailbox mail = collect();
        settle(mail);
    }

    void worker_hello(model_worker& w) {
        std::vector<std::string> all = {"a", "b", "c"};
        std::set<std::string> names;
        for (const auto& n : all) {
            if (random_.chance(65)) names.insert(n);
        }
        if (names.empty()) names.insert(random_.of(all));
        if (random_.chance(5)) names.insert("z");
        // Most workers consume every queue, the others some (none named: default).
        std::set<std::string> queues;
        if (random_.chance(60)) {
            queues.insert(queue_names.begin(), queue_names.end());
        } else {
            for (const auto& q : queue_names) {
                if (random_.chance(50)) queues.insert(q);
            }
        }
        worker_hello(w, names, static_cast<std::uint32_t>(1 + random_.below(3)),
                     static_cast<std::uint32_t>(random_.below(3)), queues);
    }

    void worker_hello(model_worker& w, const std::set<std::string>& names, std::uint32_t slots,
                      std::uint32_t prefetch, const std::set<std::string>& queues) {
        note(fmt::format("{}: HELLO (worker{}) slots {} prefetch {} names {} queues {}", w.identity,
                         w.name == w.identity ? "" : " named " + w.name, slots, prefetch,
                         join({names.begin(), names.end()}),
                         queues.empty() ? "(none)" : join({queues.begin(), queues.end()})));
        if (w.registered) {
            ++want_.repeated_hellos;
            end_worker_session(w);
        }
        h_->hello_worker(w.identity, {names.begin(), names.end()}, slots, prefetch, w.name,
                         {queues.begin(), queues.end()});
        w.registered = true;
        w.silenced = false;
        w.session = next_session_++;
        w.slots = slots;
        w.prefetch = prefetch;
        w.names = names;
        w.queues =
            queues.empty() ? std::set<std::string>{std::string(proto::default_queue)} : queues;
        w.capacity = std::uint64_t{slots} + prefetch;
        w.credit = 0;
        w.held = 0;
        w.done = 0;
        w.late = 0;
        w.draining = false;
        w.last_heard_ms = now_ms_;
        if (silent_ == w.identity) silent_.reset();
        mailbox mail = collect();
        settle(mail);
    }

    void worker_bye(model_worker& w) {
        note(fmt::format("{}: BYE", w.identity));
        deliver(w.identity, proto::bye{"model"});
        h_->silence(w.identity);
        w.silenced = true;
        end_worker_session(w);
        mailbox mail = collect();
        settle(mail);
    }

    void silence(const std::string& who) {
        note(fmt::format("{}: goes silent", who));
        h_->silence(who);
        silent_ = who;
        if (auto w = workers_.find(who); w != workers_.end()) w->second.silenced = true;
        if (auto c = clients_.find(who); c != clients_.end()) c->second.silenced = true;
    }

    // ------------------------------------------------------------------ ops: client

    proto::submitted_task new_task() {
        proto::submitted_task t;
        t.id = id_of(next_n_++);
        const auto r = random_.below(100);
        t.name = r < 40 ? "a" : r < 70 ? "b" : r < 90 ? "c" : "z";
        const auto q = random_.below(100);
        t.queue = q < 50 ? "default" : q < 80 ? "q1" : "q2";
        const auto len = 1 + random_.below(24);
        for (std::uint64_t i = 0; i < len; ++i)
            t.payload += static_cast<char>('a' + random_.below(26));
        auto& o = t.options;
        if (random_.chance(35)) o.priority = static_cast<std::uint32_t>(random_.below(10));
        if (random_.chance(20))
            o.countdown_ms = static_cast<std::uint64_t>(between_ticks(random_.below(40)));
        if (random_.chance(5))
            o.eta_ms = wall_now() + static_cast<std::uint64_t>(between_ticks(random_.below(40)));
        if (random_.chance(15)) {
            o.expires_ms =
                random_.chance(20)
                    ? wall_now() - random_.below(500)
                    : wall_now() + static_cast<std::uint64_t>(between_ticks(random_.below(60)));
        }
        if (random_.chance(25)) {
            o.max_retries = static_cast<std::uint32_t>(random_.below(4));
            if (random_.chance(40)) {
                o.retry_delay_ms = 0;
                if (random_.chance(50)) o.retry_jitter = random_.chance(50);
            } else {
                o.retry_delay_ms = static_cast<std::uint64_t>(between_ticks(random_.below(20)));
                o.retry_jitter = false;
                if (random_.chance(50)) o.retry_backoff = true;
                if (random_.chance(30))
                    o.retry_backoff_max_ms =
                        static_cast<std::uint64_t>(between_ticks(random_.below(40)));
            }
            if (random_.chance(30)) o.retry_on = {"E1"};
        }
        if (random_.chance(10)) o.time_limit_ms = 1 + random_.below(10'000);
        if (random_.chance(5)) o.soft_time_limit_ms = 1 + random_.below(10'000);
        return t;
    }

    static std::string describe_task(const proto::submitted_task& t) {
        std::string s = fmt::format("t{} {}@{}", n_of(t.id), t.name, t.queue);
        const auto& o = t.options;
        if (o.priority) s += fmt::format(" p{}", *o.priority);
        if (o.countdown_ms) s += fmt::format(" countdown {}", *o.countdown_ms);
        if (o.eta_ms)
            s += fmt::format(" eta +{}", static_cast<std::int64_t>(*o.eta_ms - wall_base_ms));
        if (o.expires_ms)
            s += fmt::format(" expires +{}",
                             static_cast<std::int64_t>(*o.expires_ms - wall_base_ms));
        if (o.max_retries) {
            s += fmt::format(" retries {} delay {}", *o.max_retries,
                             o.retry_delay_ms.value_or(1000));
            if (o.retry_backoff) s += " backoff";
            if (o.retry_backoff_max_ms) s += fmt::format(" max {}", *o.retry_backoff_max_ms);
            if (!o.retry_on.empty()) s += " on E1";
        }
        return s;
    }

    model_client* pick_client() {
        std::vector<model_client*> ready;
        for (const auto& id : client_ids) {
            model_client& c = clients_.at(id);
            if (c.registered && !c.silenced) ready.push_back(&c);
        }
        return ready.empty() ? nullptr : random_.of(ready);
    }

    void op_submit(model_client& c) {
        proto::submit m;
        const auto count = 1 + random_.below(3);
        std::vector<std::string> parts;
        for (std::uint64_t i = 0; i < count; ++i) {
            const auto r = random_.below(100);
            if (r < 8 && !tasks_.empty()) {
                auto it = tasks_.begin();
                std::advance(it, static_cast<std::ptrdiff_t>(random_.below(tasks_.size())));
                m.tasks.push_back(it->second.body);
                parts.push_back(fmt::format("again t{}", it->first));
            } else if (r < 11 && !tasks_.empty()) {
                auto it = tasks_.begin();
                std::advance(it, static_cast<std::ptrdiff_t>(random_.below(tasks_.size())));
                proto::submitted_task t = it->second.body;
                t.payload += "!";
                m.tasks.push_back(t);
                parts.push_back(fmt::format("conflicting t{}", it->first));
            } else if (r < 16 && !refused_busy_.empty()) {
                auto it = refused_busy_.begin();
                std::advance(it, static_cast<std::ptrdiff_t>(random_.below(refused_busy_.size())));
                m.tasks.push_back(it->second);
                parts.push_back("busy again " + describe_task(it->second));
            } else if (r < 18) {
                proto::submitted_task t = new_task();
                t.name.clear();
                m.tasks.push_back(t);
                parts.push_back(fmt::format("t{} without a name", n_of(t.id)));
            } else {
                m.tasks.push_back(new_task());
                parts.push_back(describe_task(m.tasks.back()));
            }
        }
        note(fmt::format("{}: SUBMIT {}", c.identity, join(parts, "; ")));
        deliver(c.identity, m);

        proto::accepted want;
        std::vector<std::uint32_t> written;
        for (const auto& t : m.tasks) admit(c, t, want, written);
        queued_bytes_ -= charged_until_written_;
        charged_until_written_ = 0;
        conflicting_in_submit_.clear();
        // With Redis, new tasks are judged (a name nobody offers, an expiry passed) and queued
        // once Redis has them, after the whole SUBMIT was admitted: they hold their budget
        // until then.
        for (const auto n : written) {
            if (unknown_name(task(n))) continue;
            enqueue(task(n));
        }
        want_.refused += want.refused.size();

        mailbox mail = collect();
        if (const auto got = take_reply<proto::accepted>(mail, c.identity)) {
            std::vector<std::string> got_ids;
            std::vector<std::string> want_ids;
            for (const auto& id : got->ids) got_ids.push_back(fmt::format("t{}", n_of(id)));
            for (const auto& id : want.ids) want_ids.push_back(fmt::format("t{}", n_of(id)));
            if (durable_) {
                // Ids answered at once (duplicates) come before those Redis had to store.
                std::sort(got_ids.begin(), got_ids.end());
                std::sort(want_ids.begin(), want_ids.end());
            }
            if (got_ids != want_ids)
                fail(fmt::format("ACCEPTED ids: broker [{}], model [{}]", join(got_ids),
                                 join(want_ids)));
            std::vector<std::string> got_refused;
            std::vector<std::string> want_refused;
            for (const auto& r : got->refused)
                got_refused.push_back(fmt::format("t{}:{}", n_of(r.id), r.error.type));
            for (const auto& r : want.refused)
                want_refused.push_back(fmt::format("t{}:{}", n_of(r.id), r.error.type));
            std::sort(got_refused.begin(), got_refused.end());
            std::sort(want_refused.begin(), want_refused.end());
            if (got_refused != want_refused) {
                fail(fmt::format("ACCEPTED refused: broker [{}], model [{}]", join(got_refused),
                                 join(want_refused)));
            }
            expect_equal(got->retry_after_ms, want.retry_after_ms, "ACCEPTED retry_after_ms");
        }
        settle(mail);
    }

    // The broker's admission of one task, in the model. With Redis a new task is queued only
    // once written: it is added to `written` instead.
    void admit(model_client& c, const proto::submitted_task& t, proto::accepted& reply,
               std::vector<std::uint32_t>& written) {
        const auto refuse = [&](const char* code) {
            reply.refused.push_back(proto::refusal{t.id, proto::error_info{code, "", "broker"}});
        };
        if (t.name.empty() || t.queue.empty()) return refuse("bad_task");
        const auto n = n_of(t.id);
        const auto charge = static_cast<std::uint32_t>(task_overhead_bytes + t.payload.size() +
                                                       t.name.size() + t.queue.size());
        const bool over_budget =
            queued_bytes_ > 0 && queued_bytes_ + charge > config_.max_queued_bytes;
        if (const auto first = conflicting_in_submit_.find(n);
            first != conflicting_in_submit_.end()) {
            // Earlier in this SUBMIT a conflicting body of an id only Redis knows made an entry
            // until Redis answers: this one is judged against it. Its own body again waits for
            // that answer, a conflict, and is refused as not stored; any other is a conflict.
            if (!(first->second == t)) return refuse("conflict");
            ++want_.unavailable;
            return refuse("unavailable");
        }
        if (auto it = tasks_.find(n);
            it != tasks_.end() && it->second.state == task_state::stored) {
            // Only Redis knows it (the broker restarted since it ended): admitted as new, then
            // Redis answers with its stored result, which this client is told; or with a
            // conflict.
            model_task& known = it->second;
            if (over_budget) {
                ++want_.busy;
                reply.retry_after_ms = config_.busy_retry_ms;
                return refuse("busy");
            }
            ++next_seq_;
            // Charged like a new task until Redis answers, after the whole SUBMIT.
            queued_bytes_ += charge;
            charged_until_written_ += charge;
            if (!(known.body == t)) {
                conflicting_in_submit_[n] = t;
                return refuse("conflict");
            }
            ++want_.duplicates;
            reply.ids.push_back(t.id);
            known.state = task_state::done;
            known.done_ms = now_ms_;
            known.recipient = c.ref();
            push_result(c.ref(), known.outcome);
            return;
        }
        if (auto it = tasks_.find(n); it != tasks_.end()) {
            model_task& known = it->second;
            if (!(known.body == t)) return refuse("conflict");
            ++want_.duplicates;
            if (known.state == task_state::forgotten) return refuse("result_expired");
            reply.ids.push_back(t.id);
            if (known.state == task_state::done) {
                push_result(c.ref(), known.outcome);
            } else if (!(known.recipient == c.ref())) {
                watch(known, c.ref());
            }
            return;
        }
        if (over_budget) {
            ++want_.busy;
            reply.retry_after_ms = config_.busy_retry_ms;
            refused_busy_[n] = t;
            return refuse("busy");
        }
        refused_busy_.erase(n);
        model_task& k = tasks_[n];
        k.n = n;
        k.body = t;
        k.seq = next_seq_++;
        k.recipient = c.ref();
        k.charge = charge;
        k.lane =
            lane_key{t.queue, t.name, std::min<std::uint32_t>(t.options.priority.value_or(0), 9)};
        queued_bytes_ += charge;
        ++want_.submitted;
        reply.ids.push_back(t.id);
        if (durable_) {
            written.push_back(k.n);
        } else if (!unknown_name(k)) {
            enqueue(k);
        }
    }

    // broker_core::fail_if_unknown_name: with workers registered, a name none offers fails.
    bool unknown_name(model_task& k) {
        if (registered_workers() == 0 || offered_by_someone(k.body.name)) return false;
        ++want_.unknown_task;
        finish_by_broker(k, proto::task_status::unknown_task, "unknown_task");
        return true;
    }

    // broker_core::enqueue: expired already, held until its countdown or eta, or queued.
    void enqueue(model_task& k) {
        const proto::submitted_task& t = k.body;
        if (t.options.expires_ms) {
            const std::int64_t at = wall_to_model(*t.options.expires_ms);
            if (at <= now_ms_) {
                ++want_.expired_tasks;
                return finish_by_broker(k, proto::task_status::expired, "expired");
            }
            expiries_.push_back({at, k.n});
        }
        std::int64_t due = now_ms_;
        double due_s = loop_now();
        if (t.options.eta_ms) {
            due = std::max(due, wall_to_model(*t.options.eta_ms));
            due_s = std::max(due_s, epoch_to_loop(*t.options.eta_ms));
        }
        if (t.options.countdown_ms) {
            due = std::max(due, now_ms_ + static_cast<std::int64_t>(*t.options.countdown_ms));
            due_s =
                std::max(due_s, loop_now() + static_cast<double>(*t.options.countdown_ms) / 1000.0);
        }
        if (due > now_ms_) {
            hold(k, due, due_s);
        } else {
            lane_push_back(k);
        }
    }

    // Ids to name in REVOKE, FETCH: tasks in every state, and some the broker never accepted.
    std::vector<proto::task_id> some_ids(std::uint64_t count) {
        std::vector<proto::task_id> ids;
        std::map<task_state, std::vector<std::uint32_t>> by_state;
        for (const auto& [n, t] : tasks_) by_state[t.state].push_back(n);
        const std::vector<task_state> states = {
            task_state::queued, task_state::held,      task_state::active, task_state::dead,
            task_state::done,   task_state::forgotten, task_state::stored};
        for (std::uint64_t i = 0; i < count; ++i) {
            const task_state s = states[random_.below(states.size())];
            if (random_.chance(10) || by_state[s].empty()) {
                ids.push_back(id_of(random_.chance(50) && !refused_busy_.empty()
                                        ? refused_busy_.begin()->first
                                        : next_n_ + 1000));
            } else {
                ids.push_back(id_of(random_.of(by_state[s])));
            }
        }
        return ids;
    }

    static std::string describe_ids(const std::vector<proto::task_id>& ids) {
        std::vector<std::string> parts;
        for (const auto& id : ids) parts.push_back(fmt::format("t{}", n_of(id)));
        return join(parts);
    }

    void op_revoke(model_client& c) {
        proto::revoke m;
        m.ids = some_ids(1 + random_.below(3));
        m.terminate = random_.chance(20);
        note(fmt::format("{}: REVOKE{} {}", c.identity, m.terminate ? " terminate" : "",
                         describe_ids(m.ids)));
        deliver(c.identity, m);
        std::map<std::string, std::vector<std::string>> cancels;
        for (const auto& id : m.ids) {
            auto it = tasks_.find(n_of(id));
            if (it == tasks_.end()) continue;
            model_task& t = it->second;
            switch (t.state) {
                case task_state::done:
                case task_state::forgotten:
                case task_state::stored:
                    continue;
                case task_state::active: {
                    model_inflight& e = inflight_.at(t.n);
                    e.revoked = true;
                    cancels[e.worker.identity].push_back(fmt::format("t{}", t.n));
                    break;
                }
                case task_state::dead:
                    dead_.erase(std::find(dead_.begin(), dead_.end(), t.n));
                    break;
                case task_state::queued:
                    lane_remove(t);
                    break;
                case task_state::held:
                    break;  // its record is dropped when its time comes
            }
            ++want_.revoked;
            finish_by_broker(t, proto::task_status::revoked, "revoked");
        }
        for (auto& [who, ids] : cancels) {
            std::sort(ids.begin(), ids.end());
            want_cancels_[who].push_back(
                fmt::format("{}{}", m.terminate ? "terminate " : "", join(ids)));
        }
        mailbox mail = collect();
        settle(mail);
    }

    void op_purge(model_client& c) {
        std::vector<std::string> queues = queue_names;
        queues.push_back("nowhere");
        const std::string q = random_.of(queues);
        note(fmt::format("{}: PURGE {}", c.identity, q));
        deliver(c.identity, proto::purge{q});
        std::uint64_t count = 0;
        for (auto it = lanes_.begin(); it != lanes_.end();) {
            if (it->first.queue != q) {
                ++it;
                continue;
            }
            for (const auto n : it->second) {
                ++count;
                finish_by_broker(task(n), proto::task_status::revoked, "revoked");
            }
            it = lanes_.erase(it);
        }
        want_.revoked += count;
        mailbox mail = collect();
        if (const auto got = take_reply<proto::purged>(mail, c.identity)) {
            expect_equal(got->queue, q, "PURGED queue");
            expect_equal(got->count, count, "PURGED count of " + q);
        }
        settle(mail);
    }

    void op_requeue(model_client& c) {
        proto::requeue m;
        const auto count = 1 + random_.below(3);
        for (std::uint64_t i = 0; i < count; ++i) {
            if (!dead_.empty() && random_.chance(80)) {
                m.ids.push_back(task(random_.of(dead_)).body.id);
            } else {
                m.ids.push_back(some_ids(1).front());
            }
        }
        note(fmt::format("{}: REQUEUE {}", c.identity, describe_ids(m.ids)));
        requeue(c, m);
    }

    void requeue(model_client& c, const proto::requeue& m) {
        deliver(c.identity, m);
        std::vector<std::string> want_ids;
        std::vector<std::string> want_refused;
        for (const auto& id : m.ids) {
            auto it = tasks_.find(n_of(id));
            if (it == tasks_.end() || it->second.state != task_state::dead) {
                want_refused.push_back(fmt::format("t{}:not_dead", n_of(id)));
                continue;
            }
            model_task& t = it->second;
            dead_.erase(std::find(dead_.begin(), dead_.end(), t.n));
            t.deaths = 0;
            ++t.attempt;
            t.lease_attempt = t.attempt - 1;
            lane_push_back(t);
            ++want_.requeued_dead;
            want_ids.push_back(fmt::format("t{}", t.n));
        }
        mailbox mail = collect();
        if (const auto got = take_reply<proto::accepted>(mail, c.identity)) {
            std::vector<std::string> got_ids;
            std::vector<std::string> got_refused;
            for (const auto& id : got->ids) got_ids.push_back(fmt::format("t{}", n_of(id)));
            for (const auto& r : got->refused)
                got_refused.push_back(fmt::format("t{}:{}", n_of(r.id), r.error.type));
            if (got_ids != want_ids || got_refused != want_refused) {
                fail(fmt::format(
                    "REQUEUE answered [{}] refused [{}], model expects [{}] refused [{}]",
                    join(got_ids), join(got_refused), join(want_ids), join(want_refused)));
            }
        }
        settle(mail);
    }

    void op_fetch(model_client& c) {
        proto::fetch m;
        m.ids = some_ids(1 + random_.below(4));
        note(fmt::format("{}: FETCH {}", c.identity, describe_ids(m.ids)));
        deliver(c.identity, m);
        std::vector<std::string> want;
        std::set<std::uint32_t> seen;
        for (const auto& id : m.ids) {
            if (!seen.insert(n_of(id)).second) continue;
            proto::fetched_entry e;
            e.id = id;
            auto it = tasks_.find(n_of(id));
            if (it == tasks_.end()) {
                e.state = proto::result_state::unknown;
            } else if (it->second.state == task_state::forgotten && !durable_) {
                e.state = proto::result_state::expired;
            } else if (it->second.state == task_state::done ||
                       it->second.state == task_state::forgotten ||
                       it->second.state == task_state::stored) {
                // (forgotten or stored: with Redis, an id the broker does not hold is looked
                // up there, and Redis keeps results longer.)
                e.state = proto::result_state::done;
                e.result = it->second.outcome;
            } else {
                e.state = proto::result_state::pending;
                if (!(it->second.recipient == c.ref())) watch(it->second, c.ref());
            }
            want.push_back(describe(e));
        }
        // The answers go out a slice per pass of the loop (one entry or two with small
        // messages): more passes, with the clock standing still, until all came.
        mailbox mail = collect();
        std::vector<std::string> got_entries;
        for (int pass = 0; pass < 20; ++pass) {
            auto& list = mail[c.identity];
            for (auto it = list.begin(); it != list.end();) {
                if (it->cmd == proto::command::fetched) {
                    const auto got = proto::decode<proto::fetched>(it->body);
                    for (const auto& e : got.entries) got_entries.push_back(describe(e));
                    if (!got.deferred.empty()) fail("FETCHED: ids deferred");
                    it = list.erase(it);
                } else {
                    ++it;
                }
            }
            if (got_entries.size() >= want.size()) break;
            h_->run_once();
            for (auto& [who, more] : collect()) {
                auto& into = mail[who];
                into.insert(into.end(), more.begin(), more.end());
            }
        }
        if (durable_) {
            // Ids looked up in Redis are answered in a FETCHED of their own, after the others.
            std::sort(got_entries.begin(), got_entries.end());
            std::sort(want.begin(), want.end());
        }
        if (got_entries != want)
            fail(fmt::format("FETCHED: broker [{}], model [{}]", join(got_entries), join(want)));
        settle(mail);
    }

    // ------------------------------------------------------------------ ops: worker

    std::vector<model_worker*> live_workers(bool with_holds = false) {
        std::vector<model_worker*> out;
        for (auto& [id, w] : workers_) {
            if (w.registered && !w.silenced && (!with_holds || !w.holds.empty())) out.push_back(&w);
        }
        return out;
    }

    void op_ready(model_worker& w) {
        const auto n = static_cast<std::uint32_t>(random_.below(w.capacity + 2));
        note(fmt::format("{}: READY {}", w.identity, n));
        deliver(w.identity, proto::ready{n});
        if (!w.draining)
            w.credit = std::min(w.capacity, w.credit + std::min<std::uint64_t>(n, w.capacity));
        mailbox mail = collect();
        settle(mail);
    }

    proto::finished_task outcome_for(const model_worker& w, const worker_hold& hv,
                                     std::string& text) {
        proto::finished_task f;
        f.result.id = task(hv.n).body.id;
        f.attempt = hv.attempt;
        const auto r = random_.below(100);
        if (r < 55) {
            f.result.status = proto::task_status::ok;
            f.result.payload = "r" + task(hv.n).body.payload;
            text = "ok";
        } else if (r < 85) {
            f.result.status = proto::task_status::failed;
            f.result.error = proto::error_info{r < 75 ? "E1" : "E2", "it failed",
                                               random_.chance(50) ? "" : "remote"};
            text = f.result.error.type;
        } else if (r < 95) {
            f.result.status = proto::task_status::failed;
            f.result.error = proto::error_info{std::string(self_retry_type), "again", ""};
            f.retry_countdown_ms =
                random_.chance(40) ? 0
                                   : static_cast<std::uint64_t>(between_ticks(random_.below(20)));
            text = fmt::format("retry-me {}", *f.retry_countdown_ms);
        } else {
            f.result.status = proto::task_status::failed;
            f.result.error =
                proto::error_info{std::string(crashed_child_type), "child died", w.identity};
            text = "crashed";
        }
        return f;
    }

    void op_done(model_worker& w) {
        proto::done m;
        std::vector<std::string> parts;
        std::vector<worker_hold> keep;
        for (const auto& hv : w.holds) {
            if (m.finished.empty() || random_.chance(60)) {
                std::string text;
                m.finished.push_back(outcome_for(w, hv, text));
                parts.push_back(fmt::format("t{}#{} {}{}", hv.n, hv.attempt, text,
                                            hv.cancelled ? " (cancelled)" : ""));
            } else {
                keep.push_back(hv);
            }
        }
        if (random_.chance(5)) {
            m.finished.push_back(m.finished.front());  // the same report twice: the second is late
            parts.push_back("and the first again");
        }
        m.credit = static_cast<std::uint32_t>(random_.below(m.finished.size() + 2));
        w.holds = std::move(keep);
        note(fmt::format("{}: DONE {} credit {}", w.identity, join(parts), m.credit));
        done(w, m);
    }

    // A DONE from w in the model: every report judged as the broker judges it.
    void done(model_worker& w, const proto::done& m) {
        deliver(w.identity, m);
        for (const auto& f : m.finished) {
            const auto n = n_of(f.result.id);
            auto it = inflight_.find(n);
            // Another live worker's current attempt is not this one's to report, unless it is
            // the same worker reconnected under a new identity (same name).
            if (it != inflight_.end() && it->second.attempt == f.attempt &&
                !(it->second.worker == w.ref()) &&
                workers_.at(it->second.worker.identity).name != w.name) {
                ++want_.foreign_results;
                continue;
            }
            if (it == inflight_.end() || it->second.attempt != f.attempt) {
                ++want_.late_results;
                ++w.late;
                continue;
            }
            const model_inflight e = it->second;
            inflight_.erase(it);
            model_worker& holder = workers_.at(e.worker.identity);
            --holder.held;
            if (e.revoked) {
                ++want_.revoked_results;
                ++w.late;
                continue;
            }
            ++holder.done;
            model_task& t = task(n);
            ++want_.completed;
            proto::outcome o = f.result;
            if (o.status != proto::task_status::ok && o.error.where.empty()) o.error.where = w.name;
            if (o.status == proto::task_status::failed && o.error.type == crashed_child_type) {
                lose_attempt(t);
                continue;
            }
            const retry_choice d = decide_retry(t, o, f.retry_countdown_ms);
            if (d.give_up) o.error = *d.give_up;
            if (d.retry) {
                ++want_.retried;
                ++t.retries;
                ++t.attempt;
                t.lease_attempt = t.attempt - 1;
                if (d.delay_ms <= 0) {
                    lane_push_back(t);
                } else {
                    hold(t, now_ms_ + d.delay_ms,
                         loop_now() + static_cast<double>(d.delay_ms) / 1000.0);
                }
                continue;
            }
            finish(t, std::move(o));
        }
        w.credit = std::min(w.capacity, w.credit + std::min<std::uint64_t>(m.credit, w.capacity));
        mailbox mail = collect();
        settle(mail);
    }

    void op_started(model_worker& w) {
        proto::started m;
        std::vector<std::string> parts;
        for (auto& hv : w.holds) {
            if ((!hv.started_sent && random_.chance(70)) || random_.chance(5)) {
                hv.started_sent = true;
                m.tasks.push_back({task(hv.n).body.id, hv.attempt});
                parts.push_back(fmt::format("t{}#{}", hv.n, hv.attempt));
            }
        }
        if (random_.chance(10) && !tasks_.empty()) {
            // Not its own to start (another worker's, an old attempt, or none at all).
            const auto n = tasks_.rbegin()->first;
            m.tasks.push_back(
                {task(n).body.id, task(n).attempt + static_cast<std::uint32_t>(random_.below(2))});
            parts.push_back(fmt::format("t{}#{} (not its own)", n, m.tasks.back().attempt));
        }
        note(fmt::format("{}: STARTED {}", w.identity, join(parts)));
        deliver(w.identity, m);
        for (const auto& ta : m.tasks) {
            auto it = inflight_.find(n_of(ta.id));
            if (it != inflight_.end() && it->second.worker == w.ref() &&
                it->second.attempt == ta.attempt) {
                it->second.started = true;
            }
        }
        mailbox mail = collect();
        settle(mail);
    }

    void op_drain(model_worker& w) {
        proto::drain m;
        std::vector<std::string> parts;
        for (const auto& hv : w.holds) {
            if ((!hv.started_sent && random_.chance(80)) || random_.chance(5)) {
                m.returned.push_back({task(hv.n).body.id, hv.attempt});
                parts.push_back(fmt::format("t{}#{}", hv.n, hv.attempt));
            }
        }
        note(fmt::format("{}: DRAIN returning {}", w.identity, join(parts)));
        deliver(w.identity, m);
        w.draining = true;
        w.credit = 0;
        w.capacity = 0;
        std::vector<std::uint32_t> back;
        for (const auto& ta : m.returned) {
            const auto n = n_of(ta.id);
            auto it = inflight_.find(n);
            if (it == inflight_.end() || !(it->second.worker == w.ref()) ||
                it->second.attempt != ta.attempt || it->second.started) {
                continue;
            }
            back.push_back(n);
        }
        std::sort(back.begin(), back.end(), [&](auto a, auto b) { return seq_of(a) > seq_of(b); });
        for (const auto n : back) {
            const model_inflight e = inflight_.at(n);
            inflight_.erase(n);
            w.holds.erase(std::find_if(w.holds.begin(), w.holds.end(),
                                       [&](const worker_hold& hv) { return hv.n == n; }));
            --w.held;
            ++want_.tasks_returned;
            if (e.revoked) continue;
            model_task& t = task(n);
            if (t.state != task_state::active) continue;
            run_again(t);
        }
        mailbox mail = collect();
        settle(mail);
    }

    // A DONE the broker must ignore: an earlier session's task, another worker's, another
    // attempt, or an id it never saw.
    void op_junk_done(model_worker& w) {
        proto::finished_task f;
        f.result.status = proto::task_status::ok;
        f.result.payload = "junk";
        std::string what;
        std::vector<std::pair<std::uint32_t, std::uint32_t>> foreign;
        for (const auto& [n, e] : inflight_) {
            if (e.worker.identity != w.identity) foreign.push_back({n, e.attempt});
        }
        const auto r = random_.below(4);
        if (r == 0 && !w.stale.empty()) {
            const auto& s = random_.of(w.stale);
            f.result.id = s.id;
            f.attempt = s.attempt;
            what = "from an earlier session";
        } else if (r == 1 && !foreign.empty()) {
            const auto& p = random_.of(foreign);
            f.result.id = task(p.first).body.id;
            f.attempt = p.second;
            what = "of another worker";
        } else if (r == 2 && !tasks_.empty()) {
            const auto n =
                std::next(tasks_.begin(), static_cast<std::ptrdiff_t>(random_.below(tasks_.size())))
                    ->first;
            f.result.id = task(n).body.id;
            f.attempt = task(n).attempt + 1;
            what = "of an attempt not made";
        } else {
            f.result.id = id_of(next_n_ + 5000);
            what = "of a task never seen";
        }
        note(fmt::format("{}: DONE t{}#{} ({})", w.identity, n_of(f.result.id), f.attempt, what));
        proto::done m;
        m.finished.push_back(f);
        done(w, m);
    }

    // A worker the broker declared dead (or that said BYE) speaks without HELLO.
    void op_zombie(model_worker& w) {
        note(fmt::format("{}: DONE without a session", w.identity));
        proto::done m;
        m.credit = 1;
        if (!w.stale.empty()) {
            proto::finished_task f;
            f.result.id = w.stale.back().id;
            f.attempt = w.stale.back().attempt;
            m.finished.push_back(f);
        }
        h_->send(w.identity, m);
        ++want_.unexpected_messages;
        want_errors_[w.identity].push_back("not_registered");
        mailbox mail = collect();
        settle(mail);
    }

    // A worker's connection breaks and it comes back under a new identity, keeping its name
    // and the tasks it holds, while its old session is still waiting for its liveness to run
    // out: its DONEs for tasks dispatched to the old session count (the broker matches names).
    void op_reconnect(model_worker& old) {
        const std::string identity = fmt::format("{}~{}", old.identity, ++reconnects_);
        note(fmt::format("{}: reconnects as {}", old.identity, identity));
        silence(old.identity);
        model_worker& w = workers_[identity];
        w.identity = identity;
        w.name = old.name;
        worker_hello(w, old.names, old.slots, old.prefetch, old.queues);
        w.holds = std::move(old.holds);
        old.holds.clear();
        if (!failed_) op_ready(w);
    }

    // The broker stops and a new one starts on the same Redis. Every session ends; the new
    // broker recovers what Redis holds: each unfinished task runs again with the attempt after
    // the one of its lease and what it cost so far (deaths, retries), a held one waits for
    // the wall time kept for it, a queued or running one is queued again as when it was
    // submitted (its countdown counts again from now; eta and expiry are absolute), a dead
    // letter stays one; results are Redis's only. Clients come back at once, workers later.
    void op_restart() {
        note("-- the broker restarts");
        mailbox mail = collect();
        settle(mail);
        std::map<std::uint32_t, std::uint64_t> held_until;
        for (const auto& record : holds_) {
            if (task(record.n).state == task_state::held) held_until[record.n] = record.until_wall;
        }
        h_.reset();
        h_ = std::make_unique<broker_harness>(config_, wall_now());
        for (auto& [id, w] : workers_) {
            for (const auto& hv : w.holds) w.stale.push_back({task(hv.n).body.id, hv.attempt});
            w.holds.clear();
            w.registered = false;
            w.silenced = false;
            w.credit = 0;
            w.held = 0;
        }
        for (auto& [id, c] : clients_) {
            c.registered = false;
            c.silenced = false;
        }
        silent_.reset();
        inflight_.clear();
        holds_.clear();
        expiries_.clear();
        lanes_.clear();
        dead_.clear();
        earlier_ = counters();
        want_ = broker_stats{};
        std::vector<std::uint32_t> pending;
        for (auto& [n, t] : tasks_) {
            if (over(t)) {
                t.state = task_state::stored;
            } else {
                pending.push_back(n);
            }
        }
        std::sort(pending.begin(), pending.end(),
                  [&](auto a, auto b) { return seq_of(a) < seq_of(b); });
        for (const auto n : pending) {
            model_task& t = task(n);
            ++want_.recovered;
            t.recipient = session_ref{};
            t.watchers.clear();
            t.attempt = t.lease_attempt + 1;
            if (t.state == task_state::dead) {
                dead_.push_back(n);
            } else if (t.state == task_state::held) {
                if (t.body.options.expires_ms) {
                    const std::int64_t at = wall_to_model(*t.body.options.expires_ms);
                    if (at <= now_ms_) {
                        ++want_.expired_tasks;
                        finish_by_broker(t, proto::task_status::expired, "expired");
                        continue;
                    }
                    expiries_.push_back({at, n});
                }
                const std::uint64_t until = held_until.at(n);
                hold(t, wall_to_model(until), epoch_to_loop(until));
            } else {
                enqueue(t);
            }
        }
        settle_redis();
        client_hello(clients_.at(observer));
        for (const auto& id : client_ids) {
            if (!failed_ && random_.chance(80)) client_hello(clients_.at(id));
        }
    }

    // ------------------------------------------------------------------ the generator

    void random_step() {
        ++steps_done_;
        if (durable_ && random_.chance(3)) return op_restart();
        const auto r = random_.below(100);
        model_client* c = pick_client();
        auto workers = live_workers();
        auto busy_workers = live_workers(true);
        if (r < 22) {
            if (c != nullptr) return op_submit(*c);
        } else if (r < 33) {
            if (!workers.empty()) return op_ready(*random_.of(workers));
        } else if (r < 48) {
            if (!busy_workers.empty()) return op_done(*random_.of(busy_workers));
        } else if (r < 54) {
            if (!busy_workers.empty()) return op_started(*random_.of(busy_workers));
        } else if (r < 69) {
            const auto k = random_.below(100);
            // Now and then past the broker's 10 s reclaim of empty lanes and unused names.
            const std::uint64_t ticks = k < 70   ? 1 + random_.below(6)
                                        : k < 90 ? 7 + random_.below(14)
                                        : k < 97 ? 20 + random_.below(60)
                                                 : 300 + random_.below(200);
            note(fmt::format("time passes: {} ticks", ticks));
            return advance(ticks);
        } else if (r < 74) {
            model_worker& w = workers_.at(random_.of(worker_ids));
            if (!w.registered || w.silenced || random_.chance(25)) {
                worker_hello(w);
                if (!failed_ && random_.chance(80)) op_ready(w);
                return;
            }
        } else if (r < 77) {
            if (!silent_) {
                std::vector<std::string> candidates;
                for (auto* w : workers) candidates.push_back(w->identity);
                if (c != nullptr && random_.chance(20)) candidates = {c->identity};
                if (!candidates.empty()) return silence(random_.of(candidates));
            }
        } else if (r < 79) {
            if (!workers.empty()) return worker_bye(*random_.of(workers));
        } else if (r < 81) {
            if (!workers.empty()) return op_drain(*random_.of(workers));
        } else if (r < 86) {
            if (c != nullptr) return op_revoke(*c);
        } else if (r < 88) {
            if (c != nullptr) return op_purge(*c);
        } else if (r < 91) {
            if (c != nullptr && (!dead_.empty() || random_.chance(20))) return op_requeue(*c);
        } else if (r < 94) {
            if (c != nullptr) return op_fetch(*c);
        } else if (r < 96) {
            model_client& any = clients_.at(random_.of(client_ids));
            if (!any.registered || any.silenced) return client_hello(any);
            if (random_.chance(50)) return client_bye(any);
            return client_hello(any);
        } else if (r < 98) {
            if (!workers.empty()) return op_junk_done(*random_.of(workers));
        } else if (r < 99) {
            for (const auto& id : worker_ids) {
                model_worker& w = workers_.at(id);
                if (!w.registered && id != silent_) return op_zombie(w);
            }
        } else {
            if (!silent_ && !busy_workers.empty() && reconnects_ < 6)
                return op_reconnect(*random_.of(busy_workers));
        }
        // The op drawn could not run here: a submit, or time passing.
        if (c != nullptr && random_.chance(50)) return op_submit(*c);
        note("time passes: 1 tick");
        advance(1);
    }

    // ------------------------------------------------------------------ the end

    static bool over(const model_task& t) {
        return t.state == task_state::done || t.state == task_state::forgotten ||
               t.state == task_state::stored;
    }

    bool everything_over() const {
        for (const auto& [n, t] : tasks_) {
            if (!over(t)) return false;
        }
        return holds_.empty() && inflight_.empty();
    }

    // Every worker leaves, the dead letters are requeued and one worker runs all that is left:
    // every task the broker accepted must end, and the broker must hold nothing any more.
    void run_everything_left() {
        note("-- the end: every accepted task must finish");
        for (int i = 0; silent_ && i < 20 && !failed_; ++i) one_tick();
        for (auto& [id, w] : workers_) {
            if (!failed_ && w.registered) worker_bye(w);
        }
        model_client& c = clients_.at(client_ids.front());
        if (!failed_ && !c.registered) client_hello(c);
        model_worker& finisher = workers_["fin"];
        finisher.identity = finisher.name = "fin";
        if (!failed_)
            worker_hello(finisher, {"a", "b", "c", "z"}, 16, 0,
                         {queue_names.begin(), queue_names.end()});
        if (!failed_) {
            note("fin: READY 16");
            deliver("fin", proto::ready{16});
            finisher.credit = 16;
            mailbox mail = collect();
            settle(mail);
        }
        for (int round = 0; round < 1000 && !failed_ && !everything_over(); ++round) {
            if (!dead_.empty()) {
                proto::requeue m;
                for (const auto n : dead_) m.ids.push_back(task(n).body.id);
                note(fmt::format("{}: REQUEUE {}", c.identity, describe_ids(m.ids)));
                requeue(c, m);
            } else if (!finisher.holds.empty()) {
                proto::done m;
                for (const auto& hv : finisher.holds) {
                    proto::finished_task f;
                    f.result.id = task(hv.n).body.id;
                    f.result.status = proto::task_status::ok;
                    f.result.payload = "fin";
                    f.attempt = hv.attempt;
                    m.finished.push_back(f);
                }
                m.credit = static_cast<std::uint32_t>(m.finished.size());
                finisher.holds.clear();
                note(fmt::format("fin: DONE {} tasks ok", m.finished.size()));
                done(finisher, m);
            } else {
                advance(5);
            }
            if (!failed_) check_everything();
        }
        if (failed_) return;
        if (!everything_over()) {
            std::vector<std::string> left;
            for (const auto& [n, t] : tasks_) {
                if (!over(t)) left.push_back(fmt::format("t{}:{}", n, to_text(t.state)));
            }
            fail("stranded at the end: " + join(left));
            return;
        }
        const proto::report stats = inspect("stats");
        if (stats.rows.size() == 1) {
            for (const char* gauge :
                 {"queued", "held", "active", "dead", "pending", "queued_bytes"}) {
                expect_equal(int_field(stats.rows[0], gauge), std::int64_t{0},
                             std::string("at the end, INSPECT stats ") + gauge);
            }
        }
    }

    // ------------------------------------------------------------------ checks

    void check_counters() {
        const broker_stats& got = h_->stats();
        for (const auto& c : all_counters) {
            if (got.*(c.field) != want_.*(c.field)) {
                fail(fmt::format("stats.{}: broker says {}, model says {}", c.name, got.*(c.field),
                                 want_.*(c.field)));
            }
        }
    }

    proto::report inspect(const std::string& what) {
        h_->send(observer, proto::inspect{what});
        clients_.at(observer).last_heard_ms = now_ms_;
        mailbox mail = collect();
        auto got = take_reply<proto::report>(mail, observer);
        settle(mail);
        return got ? *got : proto::report{};
    }

    void check_everything() {
        check_counters();
        if (failed_) return;

        // Gauges.
        std::int64_t queued = 0;
        for (const auto& [key, q] : lanes_) queued += static_cast<std::int64_t>(q.size());
        std::int64_t pending = 0;
        std::int64_t results = 0;
        std::int64_t forgotten = 0;
        std::int64_t bytes = 0;
        for (const auto& [n, t] : tasks_) {
            switch (t.state) {
                case task_state::done:
                    ++results;
                    break;
                case task_state::forgotten:
                    ++forgotten;
                    break;
                case task_state::stored:
                    break;
                default:
                    ++pending;
                    bytes += t.charge;
            }
        }
        expect_equal(bytes, static_cast<std::int64_t>(queued_bytes_), "model: queued bytes");
        std::int64_t peers = 0;
        std::int64_t workers = 0;
        for (const auto& [id, w] : workers_) workers += w.registered ? 1 : 0;
        for (const auto& [id, c] : clients_) peers += c.registered ? 1 : 0;
        peers += workers;
        const proto::report stats = inspect("stats");
        if (stats.rows.size() != 1) return fail("INSPECT stats: not one row");
        const auto& row = stats.rows[0];
        const std::pair<const char*, std::int64_t> gauges[] = {
            {"queued", queued},
            {"held", static_cast<std::int64_t>(holds_.size())},
            {"active", static_cast<std::int64_t>(inflight_.size())},
            {"dead", static_cast<std::int64_t>(dead_.size())},
            {"pending", pending},
            {"results", results},
            {"tombstones", forgotten},
            {"queued_bytes", bytes},
            {"peers", peers},
            {"workers", workers},
        };
        for (const auto& [name, value] : gauges)
            expect_equal(int_field(row, name), value, std::string("INSPECT stats ") + name);
        if (int_field(row, "results") == 0)
            expect_equal(int_field(row, "result_bytes"), std::int64_t{0},
                         "INSPECT stats result_bytes");
        expect_equal(str_field(row, "redis"), std::string(durable_ ? "up" : "off"),
                     "INSPECT stats redis");
        expect_equal(int_field(row, "results_unwritten"), std::int64_t{0},
                     "INSPECT stats results_unwritten");

        // Queues: the live tasks of each.
        std::map<std::string, std::int64_t> lengths;
        for (const auto& [key, q] : lanes_)
            lengths[key.queue] += static_cast<std::int64_t>(q.size());
        for (const auto& r : inspect("queues").rows) {
            const std::string name = str_field(r, "name");
            expect_equal(int_field(r, "length"), lengths[name], "INSPECT queues length of " + name);
            lengths.erase(name);
        }
        for (const auto& [name, length] : lengths) {
            if (length > 0)
                fail(fmt::format("INSPECT queues: no row for {}, which holds {}", name, length));
        }

        // Active: the in-flight table, revoked ones included.
        std::vector<std::string> got;
        std::vector<std::string> want;
        for (const auto& r : inspect("active").rows) {
            got.push_back(fmt::format("{}@{}#{}{}{}", str_field(r, "task"), str_field(r, "worker"),
                                      int_field(r, "attempt"),
                                      int_field(r, "started") != 0 ? " started" : "",
                                      int_field(r, "revoked") != 0 ? " revoked" : ""));
        }
        for (const auto& [n, e] : inflight_) {
            want.push_back(fmt::format("{}@{}#{}{}{}", task(n).body.id.to_hex(),
                                       workers_.at(e.worker.identity).name, e.attempt,
                                       e.started ? " started" : "", e.revoked ? " revoked" : ""));
        }
        std::sort(got.begin(), got.end());
        std::sort(want.begin(), want.end());
        if (got != want)
            fail(fmt::format("INSPECT active: broker [{}], model [{}]", join(got), join(want)));

        // Dead letters, oldest first.
        got.clear();
        want.clear();
        for (const auto& r : inspect("dead").rows)
            got.push_back(fmt::format("{}#{}", str_field(r, "task"), int_field(r, "attempts")));
        for (const auto n : dead_)
            want.push_back(fmt::format("{}#{}", task(n).body.id.to_hex(), task(n).attempt));
        if (got != want)
            fail(fmt::format("INSPECT dead: broker [{}], model [{}]", join(got), join(want)));

        // Workers: credit and what they hold.
        got.clear();
        want.clear();
        for (const auto& r : inspect("workers").rows) {
            got.push_back(
                fmt::format("{} slots {} prefetch {} credit {} held {} done {} late {} draining {}",
                            str_field(r, "name"), int_field(r, "slots"), int_field(r, "prefetch"),
                            int_field(r, "credit"), int_field(r, "held"), int_field(r, "done"),
                            int_field(r, "late"), int_field(r, "draining")));
        }
        for (const auto& [id, w] : workers_) {
            if (!w.registered) continue;
            want.push_back(fmt::format(
                "{} slots {} prefetch {} credit {} held {} done {} late {} draining {}", w.name,
                w.slots, w.prefetch, w.credit, w.held, w.done, w.late, w.draining ? 1 : 0));
        }
        std::sort(got.begin(), got.end());
        std::sort(want.begin(), want.end());
        if (got != want)
            fail(fmt::format("INSPECT workers: broker [{}], model [{}]", join(got, "; "),
                             join(want, "; ")));

        // The model's own rules, which the broker matched above.
        for (const auto n : dead_) {
            if (task(n).deaths < config_.max_attempts)
                fail(fmt::format("model: t{} dead-lettered after {} deaths", n, task(n).deaths));
        }
        if (::testing::Test::HasFailure()) fail("a harness expectation failed (see above)");
    }

    static std::string join(const std::vector<std::string>& parts, const char* sep = " ") {
        std::string s;
        for (const auto& p : parts) s += (s.empty() ? "" : sep) + p;
        return s;
    }

    // ------------------------------------------------------------------ state

    std::uint64_t seed_;
    random_source random_;
    bool small_messages_;
    bool durable_;
    bool verbose_;
    broker_config config_;
    int steps_ = 0;
    std::size_t steps_done_ = 0;
    std::unique_ptr<broker_harness> h_;

    std::map<std::uint32_t, model_task> tasks_;                    // every task the broker accepted
    std::map<std::uint32_t, proto::submitted_task> refused_busy_;  // to submit again
    lane_map lanes_;
    std::map<std::uint32_t, model_inflight> inflight_;
    std::vector<model_hold> holds_;
    std::vector<model_expiry> expiries_;
    std::vector<std::uint32_t> dead_;  // oldest first
    std::map<std::string, model_worker> workers_;
    std::map<std::string, model_client> clients_;
    std::optional<std::string> silent_;  // the one peer gone silent and not declared dead yet
    broker_stats want_;
    broker_stats earlier_;  // of the brokers before a restart
    std::uint64_t queued_bytes_ = 0;
    std::uint64_t charged_until_written_ = 0;  // with Redis: ids Redis answers for, in a SUBMIT
    std::map<std::uint32_t, proto::submitted_task> conflicting_in_submit_;  // likewise
    std::int64_t now_ms_ = 0;
    std::uint32_t next_n_ = 1;
    std::uint64_t next_seq_ = 1;
    std::uint64_t next_hold_order_ = 0;
    std::uint64_t next_dispatch_no_ = 1;
    std::uint64_t next_session_ = 1;
    int reconnects_ = 0;

    // What the current step must make the broker send, by identity.
    std::map<std::string, std::vector<std::string>> want_results_;
    std::map<std::string, std::vector<std::string>> want_cancels_;
    std::map<std::string, std::vector<std::string>> want_errors_;
    std::vector<std::uint32_t> unconfirmed_;  // with Redis: ended, told once stored

    bool failed_ = false;
    std::vector<std::string> failures_;
    std::vector<std::string> log_;
};

// Under a sanitizer a sequence costs some thirty times more: the release suite runs the full
// count, which is what finds wrong tables; a sanitizer's tenth still walks every kind of step
// through its memory checks, without taking ten minutes on a busy machine.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr std::uint64_t sanitizer_share = 10;
#else
inline constexpr std::uint64_t sanitizer_share = 1;
#endif

// Runs `count` sequences from `first_seed` (or the one SHOAL_MODEL_SEED names); stops at the
// first that fails and reports it with its steps.
inline void run_sequences(std::uint64_t first_seed, std::uint64_t default_count,
                          const model_options& options) {
    const auto level = spdlog::get_level();
    spdlog::set_level(spdlog::level::off);  // dead letters and deaths log warnings by design
    const bool verbose = env_number("SHOAL_MODEL_VERBOSE", 0) != 0;
    std::uint64_t first = env_number("SHOAL_MODEL_FIRST_SEED", first_seed);
    std::uint64_t count = env_number("SHOAL_MODEL_SEQUENCES",
                                     std::max<std::uint64_t>(1, default_count / sanitizer_share));
    if (const char* one = std::getenv("SHOAL_MODEL_SEED"); one != nullptr && *one != '\0') {
        first = std::strtoull(one, nullptr, 10);
        count = 1;
    }
    std::size_t tasks = 0;
    std::size_t steps = 0;
    std::int64_t time_ms = 0;
    broker_stats total;
    for (std::uint64_t seed = first; seed < first + count; ++seed) {
        SCOPED_TRACE(fmt::format("model seed {}", seed));
        if (options.before_each) options.before_each();
        model_run run(seed, options, verbose);
        if (!run.run()) {
            ADD_FAILURE() << run.report();
            break;
        }
        tasks += run.tasks_accepted();
        steps += run.steps_taken();
        time_ms += run.time_ms();
        for (const auto& c : all_counters) total.*(c.field) += run.counters().*(c.field);
    }
    spdlog::set_level(level);
    // What the sequences went through, so that a generator that stopped reaching something shows.
    std::string seen;
    for (const auto& c : all_counters) {
        if (total.*(c.field) > 0) seen += fmt::format(" {} {}", c.name, total.*(c.field));
    }
    std::cout << fmt::format(
                     "model: {} sequences from seed {}: {} steps, {} tasks accepted, {:.0f} s of "
                     "broker time;{}",
                     count, first, steps, tasks, static_cast<double>(time_ms) / 1000.0, seen)
              << std::endl;
}

}  // namespace shoal::broker::testing::model
