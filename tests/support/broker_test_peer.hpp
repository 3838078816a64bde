#pragma once
// test_peer: a client or a worker played by a broker test, on a raw_peer's DEALER (the test
// controls every message). A test failure names what came instead of what it expected.

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "deadline.hpp"
#include "raw_peer.hpp"
#include "shoal/broker/broker_config.hpp"
#include "shoal/proto/codec.hpp"
#include "shoal/proto/messages.hpp"
#include "task_ids.hpp"

namespace shoal::broker::testing {

// Short heartbeats, and a liveness no busy machine outlasts: peers heartbeat only while the
// test waits on one, and a test thread held up for 200 ms between two waits made a live
// peer look dead. Liveness itself is tested on a manual clock (short_liveness, and
// broker_time.hpp), where only the test moves time.
inline broker_config fast_config() {
    broker_config c;
    c.bind = "tcp://127.0.0.1:0";
    c.heartbeat_ms = 50;
    c.liveness = 400;  // dead after 20 s of silence
    c.log_level = "warn";
    return c;
}

// For a broker on a manual clock whose tests declare peers dead: dead after 200 ms of the
// clock's time without a word.
inline broker_config short_liveness(broker_config c = fast_config()) {
    c.liveness = 4;
    return c;
}

using shoal::testing::describe_unexpected;
using shoal::testing::id_of;
using shoal::testing::raw_message;
using shoal::testing::reply_deadline_s;

inline proto::submitted_task task(std::uint32_t n, std::string name = "add",
                                  std::string payload = "\x92\x01\x02") {
    proto::submitted_task t;
    t.id = id_of(n);
    t.name = std::move(name);
    t.payload = std::move(payload);
    return t;
}

class test_peer;

// Peers that are kept alive: while a test waits on any peer, each of these sends HEARTBEAT
// every 20 ms, as a dealer_link would (tests are single-threaded, so a plain list).
inline std::vector<test_peer*>& living_peers() {
    static std::vector<test_peer*> peers;
    return peers;
}

class test_peer {
  public:
    // `before_connect` sets what must precede connect (CURVE keys, say).
    test_peer(zmq::context_t& context, const std::string& endpoint,
              const std::function<void(zmq::socket_t&)>& before_connect = {})
        : peer_(shoal::testing::raw_peer::dealer_to(context, endpoint, before_connect)) {
        peer_.while_waiting(
            [] {
                for (test_peer* p : living_peers()) p->heartbeat_if_due();
            },
            std::chrono::milliseconds(10));
    }
    ~test_peer() { go_silent(); }
    test_peer(const test_peer&) = delete;
    test_peer& operator=(const test_peer&) = delete;

    // From now on this peer sends heartbeats while any peer waits (after its HELLO).
    void stay_alive() {
        if (!alive_) living_peers().push_back(this);
        alive_ = true;
    }
    // It stops (a worker that hangs or dies).
    void go_silent() {
        if (!alive_) return;
        auto& all = living_peers();
        all.erase(std::find(all.begin(), all.end(), this));
        alive_ = false;
    }
    void heartbeat_if_due() {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_heartbeat_ < std::chrono::milliseconds(20)) return;
        last_heartbeat_ = now;
        (void)peer_.send(proto::heartbeat{});
    }

    template <class M>
    void send(const M& m) {
        ASSERT_TRUE(peer_.send(m)) << "send refused";
    }
    void send_raw(proto::command cmd, std::string_view body) {
        ASSERT_TRUE(peer_.send_raw(cmd, body));
    }
    // Any frames at all, for invalid-input tests.
    void send_frames(const std::vector<std::string>& frames) { peer_.send_frames(frames); }

    // The next message within timeout_s, HEARTBEATs skipped unless asked for; messages kept
    // aside by inspect_keeping_others come first.
    std::optional<raw_message> next(double timeout_s = reply_deadline_s,
                                    bool skip_heartbeats = true) {
        if (!kept_.empty()) {
            raw_message m = std::move(kept_.front());
            kept_.pop_front();
            return m;
        }
        return receive(timeout_s, skip_heartbeats);
    }

    // INSPECT and its REPORT, whatever else comes first kept for next(): for a test that
    // asks while other messages (results, dispatches) may be on their way to this peer.
    proto::report inspect_keeping_others(const std::string& what) {
        send(proto::inspect{what});
        const auto m = peer_.receive_if(reply_deadline_s, [&](raw_message& r) {
            if (r.cmd == proto::command::report) return true;
            if (!is_skipped_heartbeat(r, true)) kept_.push_back(std::move(r));
            return false;
        });
        if (!m) {
            ADD_FAILURE() << "no REPORT within " << reply_deadline_s << " s";
            return {};
        }
        return proto::decode<proto::report>(m->body);
    }

    // The next message, which must be an M; the test fails (and a default M is returned)
    // otherwise, naming what came instead.
    template <class M>
    M expect(double timeout_s = reply_deadline_s) {
        const auto m = next(timeout_s);
        if (const std::string why = shoal::testing::not_the_expected<M>(m, timeout_s);
            !why.empty()) {
            ADD_FAILURE() << why;
            return M{};
        }
        return proto::decode<M>(m->body);
    }

    // True if nothing but heartbeats arrives for `seconds`.
    bool quiet_for(double seconds) { return !next(seconds).has_value(); }

    proto::welcome hello_client(std::string name = "client") {
        proto::hello h;
        h.role = proto::peer_role::client;
        h.name = std::move(name);
        send(h);
        const auto w = expect<proto::welcome>();
        stay_alive();
        return w;
    }
    proto::welcome hello_worker(std::vector<std::string> names, std::uint32_t slots = 1,
                                std::uint32_t prefetch = 0, std::string name = "worker") {
        proto::hello h;
        h.role = proto::peer_role::worker;
        h.name = std::move(name);
        h.worker = proto::worker_details{slots, prefetch, std::move(names)};
        send(h);
        const auto w = expect<proto::welcome>();
        stay_alive();
        return w;
    }
    // A worker consuming `queues` (HELLO's details [slots, prefetch, names, queues]).
    proto::welcome hello_worker_of(std::vector<std::string> queues, std::vector<std::string> names,
                                   std::uint32_t slots = 1, std::uint32_t prefetch = 0,
                                   std::string name = "worker") {
        proto::hello h;
        h.role = proto::peer_role::worker;
        h.name = std::move(name);
        h.worker = proto::worker_details{slots, prefetch, std::move(names), std::move(queues)};
        send(h);
        const auto w = expect<proto::welcome>();
        stay_alive();
        return w;
    }
    // SUBMIT and its ACCEPTED.
    proto::accepted submit(std::vector<proto::submitted_task> tasks) {
        send(proto::submit{std::move(tasks), {}});
        return expect<proto::accepted>();
    }
    // Reports tasks done with status ok, echoing each payload, and returns their credit.
    void done_ok(const std::vector<proto::dispatched_task>& tasks, std::uint32_t credit) {
        proto::done d;
        for (const auto& t : tasks) {
            d.finished.push_back(
                {proto::outcome{t.id, proto::task_status::ok, t.payload, {}}, t.attempt, {}});
        }
        d.credit = credit;
        send(d);
    }

    // Collects RESULT outcomes until `count` arrived (or the time is up); `messages` counts
    // the RESULT messages they came in.
    std::vector<proto::outcome> results(std::size_t count, double timeout_s = reply_deadline_s,
                                        int* messages = nullptr) {
        std::vector<proto::outcome> out;
        const shoal::testing::deadline until(timeout_s);
        while (out.size() < count && !until.passed()) {
            const auto m = next(until.left_s());
            if (!m) break;
            if (m->cmd != proto::command::result) {
                ADD_FAILURE() << "expected RESULT, got " << proto::command_name(m->cmd);
                continue;
            }
            if (messages != nullptr) ++*messages;
            for (auto& o : proto::decode<proto::result>(m->body).outcomes)
                out.push_back(std::move(o));
        }
        EXPECT_EQ(out.size(), count) << "results that arrived";
        return out;
    }
    // INSPECT and its REPORT.
    proto::report inspect(const std::string& what) {
        send(proto::inspect{what});
        return expect<proto::report>();
    }
    proto::fetched fetch(std::vector<proto::task_id> ids) {
        send(proto::fetch{std::move(ids)});
        return expect<proto::fetched>();
    }
    // The ERROR that must come next.
    proto::error_reply expect_error(double timeout_s = reply_deadline_s) {
        return expect<proto::error_reply>(timeout_s);
    }

    zmq::socket_t& socket() noexcept { return peer_.socket(); }
    int heartbeats_seen = 0;

  private:
    // The next message, heartbeating meanwhile for every living peer.
    std::optional<raw_message> receive(double timeout_s, bool skip_heartbeats) {
        return peer_.receive_if(timeout_s, [&](const raw_message& m) {
            return !is_skipped_heartbeat(m, skip_heartbeats);
        });
    }
    bool is_skipped_heartbeat(const raw_message& m, bool skip_heartbeats) {
        if (!skip_heartbeats || m.cmd != proto::command::heartbeat) return false;
        ++heartbeats_seen;
        return true;
    }

    shoal::testing::raw_peer peer_;
    std::deque<raw_message> kept_;  // by inspect_keeping_others, for next()
    bool alive_ = false;
    std::chrono::steady_clock::time_point last_heartbeat_{};
};

// Finds a field of a REPORT row.
inline std::optional<proto::report_value> field(const proto::report_row& row,
                                                std::string_view key) {
    for (const auto& f : row) {
        if (f.key == key) return f.value;
    }
    return std::nullopt;
}
inline std::int64_t int_field(const proto::report_row& row, std::string_view key) {
    const auto v = field(row, key);
    if (!v || !std::holds_alternative<std::int64_t>(*v)) {
        ADD_FAILURE() << "no int field " << key;
        return -1;
    }
    return std::get<std::int64_t>(*v);
}
inline std::string str_field(const proto::report_row& row, std::string_view key) {
    const auto v = field(row, key);
    if (!v || !std::holds_alternative<std::string>(*v)) {
        ADD_FAILURE() << "no str field " << key;
        return {};
    }
    return std::get<std::string>(*v);
}

}  // namespace shoal::broker::testing
