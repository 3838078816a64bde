#pragma once
// broker_harness: the broker core on the test's own thread, on a manual clock, behind a port
// that records what it sends (broker/src/message_port.hpp). A test delivers messages as named
// peers would, runs the broker's wake-ups itself and reads what each peer was sent, so broker
// behaviour is tested without sockets, threads or timeouts: nothing is decided by how fast
// the machine is.
//
//     broker_harness h;
//     h.hello_client("c");
//     h.hello_worker("w", {"add"});
//     h.send("w", proto::ready{1});
//     h.send("c", proto::submit{{task(1)}, {}});
//     EXPECT_EQ(h.take<proto::accepted>("c").ids.size(), 1u);
//     EXPECT_EQ(h.take<proto::dispatch>("w").tasks.size(), 1u);
//
// Time moves only through advance(), in steps of a quarter heartbeat; at each step every peer
// that is alive (said HELLO, and not silence()d) sends a HEARTBEAT first, so a silent peer is
// declared dead exactly after its liveness and a live one never is.

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "broker_core.hpp"
#include "broker_test_peer.hpp"
#include "manual_clock.hpp"
#include "shoal/proto/codec.hpp"
#include "shoal/proto/commands.hpp"

namespace shoal::broker::testing {

struct sent_message {
    proto::command cmd;
    std::string body;
};

class recording_port final : public message_port {
  public:
    bool send(std::string_view identity, proto::command cmd, std::string_view body) override {
        if (refusing.count(identity) > 0) return false;
        outbox[std::string(identity)].push_back({cmd, std::string(body)});
        return true;
    }
    std::map<std::string, std::deque<sent_message>, std::less<>> outbox;
    // Sends to these identities fail, as to a peer that is gone or whose queue is full.
    std::set<std::string, std::less<>> refusing;
};

// Defaults for the harness: short heartbeats (time is manual anyway), a short result TTL.
inline broker_config harness_config() {
    broker_config c;
    c.heartbeat_ms = 100;
    c.liveness = 3;
    c.log_level = "warn";
    return c;
}

// A DONE reporting each of `tasks` ok, its payload as its result, and granting `credit`.
inline proto::done done_of(const std::vector<proto::dispatched_task>& tasks, std::uint32_t credit) {
    proto::done d;
    for (const auto& t : tasks) {
        d.finished.push_back(
            {proto::outcome{t.id, proto::task_status::ok, t.payload, {}}, t.attempt, {}});
    }
    d.credit = credit;
    return d;
}

// A message as the ROUTER socket would hand it over.
inline proto::received_message received(std::string_view identity, proto::command cmd,
                                        std::string_view body) {
    proto::received_message m;
    m.identity = std::string(identity);
    const auto cmd_byte = static_cast<std::uint8_t>(cmd);
    m.frames.emplace_back(proto::protocol_id.data(), proto::protocol_id.size());
    m.frames.emplace_back(&cmd_byte, 1);
    m.frames.emplace_back(body.data(), body.size());
    m.frame_count = m.frames.size();
    return m;
}

class broker_harness {
  public:
    // With wall_start_ms, the broker's wall clock (eta, expiry, holds kept in Redis) is that
    // unix time when the manual clock starts and follows it, instead of the system clock. It is
    // set before attach(), where a broker with Redis recovers what it holds by that clock.
    explicit broker_harness(broker_config config = harness_config(),
                            std::optional<std::uint64_t> wall_start_ms = std::nullopt)
        : config_(config), core_(loop_, std::move(config), nullptr) {
        if (wall_start_ms) {
            core_.set_wall_clock([this, start = *wall_start_ms] {
                const double since_s =
                    clock_.now() - shoal::testing::manual_clock::default_start_seconds;
                return start + static_cast<std::uint64_t>(std::llround(since_s * 1000.0));
            });
        }
        core_.attach(port_);
    }
    ~broker_harness() {
        core_.close();
        loop_.close();
    }
    broker_harness(const broker_harness&) = delete;
    broker_harness& operator=(const broker_harness&) = delete;

    // ---- delivering (each call is one wake-up of the broker)
    void send_raw(std::string_view identity, proto::command cmd, std::string_view body) {
        const proto::received_message m = received(identity, cmd, body);
        core_.deliver({&m, 1});
        run_once();
    }
    template <class M>
    void send(std::string_view identity, const M& m) {
        send_raw(identity, M::cmd, proto::encode(m));
    }
    // Several messages read in one wake-up, as a busy socket would deliver them.
    void send_together(const std::vector<proto::received_message>& messages) {
        core_.deliver(messages);
        run_once();
    }

    proto::welcome hello_client(const std::string& identity, std::string name = "") {
        proto::hello h;
        h.role = proto::peer_role::client;
        h.name = name.empty() ? identity : std::move(name);
        send(identity, h);
        alive_.insert(identity);
        return take<proto::welcome>(identity);
    }
    proto::welcome hello_worker(const std::string& identity, std::vector<std::string> names,
                                std::uint32_t slots = 1, std::uint32_t prefetch = 0,
                                std::string name = "", std::vector<std::string> queues = {}) {
        proto::hello h;
        h.role = proto::peer_role::worker;
        h.name = name.empty() ? identity : std::move(name);
        h.worker = proto::worker_details{slots, prefetch, std::move(names), std::move(queues)};
        send(identity, h);
        alive_.insert(identity);
        return take<proto::welcome>(identity);
    }
    // The peer stops sending heartbeats (hangs, or its host vanished).
    void silence(const std::string& identity) { alive_.erase(identity); }

    // ---- what the broker sent
    // The next message to `identity`, HEARTBEATs skipped; nullopt if there is none.
    std::optional<sent_message> next(std::string_view identity) {
        auto it = port_.outbox.find(identity);
        if (it == port_.outbox.end()) return std::nullopt;
        auto& q = it->second;
        while (!q.empty()) {
            sent_message m = std::move(q.front());
            q.pop_front();
            if (m.cmd != proto::command::heartbeat) return m;
        }
        return std::nullopt;
    }
    // The next message, which must be an M (the test fails, naming what came, otherwise).
    template <class M>
    M take(std::string_view identity) {
        const auto m = next(identity);
        if (!m) {
            ADD_FAILURE() << "nothing was sent to " << identity << "; expected "
                          << proto::command_name(M::cmd);
            return M{};
        }
        if (m->cmd != M::cmd) {
            ADD_FAILURE() << "expected " << proto::command_name(M::cmd) << " for " << identity
                          << ", got " << describe_unexpected(m->cmd, m->body);
            return M{};
        }
        return proto::decode<M>(m->body);
    }
    // Every message of type M waiting for `identity` (others are a failure).
    template <class M>
    std::vector<M> take_all(std::string_view identity) {
        std::vector<M> out;
        while (has_mail(identity)) out.push_back(take<M>(identity));
        return out;
    }
    // True if something other than HEARTBEATs waits for `identity` (they are dropped).
    bool has_mail(std::string_view identity) {
        auto it = port_.outbox.find(identity);
        if (it == port_.outbox.end()) return false;
        auto& q = it->second;
        while (!q.empty() && q.front().cmd == proto::command::heartbeat) q.pop_front();
        return !q.empty();
    }
    // Outcomes of every RESULT waiting for `identity`, in order.
    std::vector<proto::outcome> results(std::string_view identity) {
        std::vector<proto::outcome> out;
        for (auto& r : take_all<proto::result>(identity)) {
            for (auto& o : r.outcomes) out.push_back(std::move(o));
        }
        return out;
    }

    // ---- time
    // One pass of the loop: ready callbacks and due timers; never waits.
    void run_once() {
        loop_.stop();
        loop_.run_forever();
    }
    // Moves time forward in steps of a quarter heartbeat; before each step every live peer
    // sends a HEARTBEAT, as its dealer_link would.
    void advance(double seconds) {
        const double step = config_.heartbeat_ms / 4000.0;
        while (seconds > 1e-9) {
            const double dt = std::min(step, seconds);
            std::vector<proto::received_message> beats;
            for (const std::string& id : alive_) {
                beats.push_back(
                    received(id, proto::command::heartbeat, proto::encode(proto::heartbeat{})));
            }
            if (!beats.empty()) core_.deliver(beats);
            clock_.advance(dt);
            seconds -= dt;
            run_once();
        }
    }

    broker_core& core() noexcept { return core_; }
    const broker_stats& stats() const noexcept { return core_.stats(); }
    recording_port& port() noexcept { return port_; }
    event_loop& loop() noexcept { return loop_; }
    shoal::testing::manual_clock& clock() noexcept { return clock_; }

  private:
    broker_config config_;
    shoal::testing::manual_clock clock_;
    event_loop loop_{clock_};
    recording_port port_;
    broker_core core_;
    std::set<std::string> alive_;
};

}  // namespace shoal::broker::testing
