#pragma once
// fake_broker: the broker's side of SHOAL/1 played by a client test, on a raw_peer's ROUTER
// (tests/support/raw_peer.hpp). Two ways to use it:
//   - step by step, in the test's thread: next()/expect<M>() read what the client sent,
//     send() answers (for batching, reconnect and refusal scenarios);
//   - serve(): a thread that answers like a tiny broker with built-in tasks (add, echo, fail,
//     sleep_ms, held; anything else is unknown_task), for the combinator and future tests.
//     A held task echoes its argument when the test calls release(id) (or after
//     held_at_most_s, so that a test that never does still ends): what is still running,
//     and what finishes first, is then the test's choice, not a race between sleep_ms
//     delays that a busy machine can lose.
// Every wait is bounded; a timeout or an unexpected command throws, failing the test.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "raw_peer.hpp"
#include "shoal/client/client_options.hpp"
#include "shoal/common/detail/msgpack_codec.hpp"
#include "shoal/proto/codec.hpp"
#include "shoal/proto/messages.hpp"
#include "tsan_suppressions.hpp"

namespace shoal::testing {

// Client options that keep tests short: close() waits little for acknowledgements, and
// pending fetches are asked again quickly.
inline client_options quick_options() {
    client_options o;
    o.close_grace_s = 0.2;
    o.fetch_poll_initial_s = 0.02;
    o.fetch_poll_max_s = 0.1;
    o.reconnect_initial_s = 0.02;
    o.reconnect_max_s = 0.1;
    return o;
}

// A held task not released is answered after this long: longer than any test waits.
inline constexpr double held_at_most_s = 30.0;

class fake_broker {
  public:
    fake_broker() = default;
    ~fake_broker() { stop(); }
    fake_broker(const fake_broker&) = delete;
    fake_broker& operator=(const fake_broker&) = delete;

    const std::string& endpoint() const { return router_.endpoint(); }

    // ---- step by step (test thread; not while serve() runs) ----

    // The next message, skipping HEARTBEATs unless asked; nullopt after the timeout.
    std::optional<raw_message> next(double timeout_s = reply_deadline_s,
                                    bool skip_heartbeats = true) {
        return router_.receive_if(timeout_s, [&](const raw_message& m) {
            return !skip_heartbeats || m.cmd != proto::command::heartbeat;
        });
    }

    // The next message, which must be an M (HEARTBEATs skipped); throws otherwise.
    template <class M>
    std::pair<std::string, M> expect(double timeout_s = reply_deadline_s) {
        auto m = next(timeout_s);
        if (const std::string why = not_the_expected<M>(m, timeout_s); !why.empty()) {
            throw std::runtime_error("fake_broker: " + why);
        }
        return {m->identity, proto::decode<M>(m->body)};
    }

    // Collects Ms until `count` items (tasks or ids, via size_of) arrived; throws on timeout.
    template <class M, class SizeOf>
    std::vector<M> expect_items(std::size_t count, SizeOf size_of,
                                double timeout_s = reply_deadline_s) {
        std::vector<M> out;
        std::size_t seen = 0;
        while (seen < count) {
            auto [id, m] = expect<M>(timeout_s);
            seen += size_of(m);
            out.push_back(std::move(m));
        }
        return out;
    }

    template <class M>
    void send(const std::string& identity, const M& m) {
        router_.send_to(identity, m);
    }

    // Any bytes as the body of `cmd`: for malformed messages.
    void send_raw(const std::string& identity, proto::command cmd, std::string_view body) {
        router_.send_raw_to(identity, cmd, body);
    }

    // HELLO -> WELCOME; returns the client's identity.
    std::string handshake(proto::welcome w = welcome_for_tests()) {
        auto [identity, hello] = expect<proto::hello>();
        if (hello.role != proto::peer_role::client) throw std::runtime_error("not a client HELLO");
        send(identity, w);
        return identity;
    }

    static proto::welcome welcome_for_tests() {
        proto::welcome w;
        w.heartbeat_ms = 1000;
        w.liveness = 5;
        return w;
    }

    // ---- serve(): a background thread answering like a tiny broker ----

    void serve() {
        running_ = true;
        server_ = std::thread([this] {
            while (running_.load()) serve_once();
        });
    }
    void stop() {
        running_ = false;
        if (server_.joinable()) server_.join();
    }

    // Sends the result of held task `id` now (results released together leave in the order
    // of these calls). From any thread while serve() runs; a release that comes before the
    // task does waits for it.
    void release(const proto::task_id& id) {
        std::lock_guard lock(release_mutex_);
        to_release_.push_back(id);
    }

    // Counters the tests check (read after stop(), or atomically while serving).
    std::atomic<int> submits{0};
    std::atomic<int> tasks_seen{0};
    std::atomic<int> revokes_seen{0};
    std::atomic<int> fetches_seen{0};

    // The outcome built-in task `name` gives for the msgpack argument list `payload`.
    static proto::outcome run_builtin(const proto::task_id& id, const std::string& name,
                                      const std::string& payload) {
        proto::outcome o;
        o.id = id;
        const auto handle = msgpack::unpack(payload.data(), payload.size());
        const auto& args = handle.get().via.array;
        if (name == "add") {
            std::int64_t sum = 0;
            for (std::uint32_t i = 0; i < args.size; ++i) sum += args.ptr[i].as<std::int64_t>();
            o.payload = detail::pack_result(sum);
        } else if (name == "echo" || name == "sleep_ms" || name == "held") {
            o.payload = args.size > 0 ? pack_object(args.ptr[0]) : detail::pack_nil();
        } else if (name == "fail") {
            o.status = proto::task_status::failed;
            o.error = {"std::runtime_error", "boom", "worker-7"};
        } else {
            o.status = proto::task_status::unknown_task;
            o.error = {"unknown_task", "no worker can run '" + name + "'", "broker"};
        }
        return o;
    }

  private:
    static std::string pack_object(const msgpack::object& o) {
        msgpack::sbuffer buffer;
        msgpack::pack(buffer, o);
        return std::string(buffer.data(), buffer.size());
    }

    struct delayed {
        std::chrono::steady_clock::time_point due;
        std::string identity;
        proto::outcome outcome;
    };

    void serve_once() {
        const auto m = next(0.005, true);
        const auto now = std::chrono::steady_clock::now();
        std::vector<proto::task_id> releasing;
        {
            std::lock_guard lock(release_mutex_);
            releasing.swap(to_release_);
        }
        for (const auto& id : releasing) {
            const auto it = std::find_if(delayed_.begin(), delayed_.end(),
                                         [&](const delayed& d) { return d.outcome.id == id; });
            if (it == delayed_.end()) {
                released_early_.insert(id);
                continue;
            }
            finish(it->identity, std::move(it->outcome));
            delayed_.erase(it);
        }
        // Results due now, in due order.
        for (auto it = delayed_.begin(); it != delayed_.end();) {
            if (it->due <= now) {
                finish(it->identity, std::move(it->outcome));
                it = delayed_.erase(it);
            } else {
                ++it;
            }
        }
        if (!m) return;
        switch (m->cmd) {
            case proto::command::hello:
                send(m->identity, welcome_for_tests());
                break;
            case proto::command::submit: {
                ++submits;
                const auto s = proto::decode<proto::submit>(m->body);
                proto::accepted acc;
                for (const auto& t : s.tasks) acc.ids.push_back(t.id);
                send(m->identity, acc);
                for (const auto& t : s.tasks) {
                    ++tasks_seen;
                    auto o = run_builtin(t.id, t.name, t.payload);
                    auto due = now;
                    if (t.name == "sleep_ms") {
                        const auto h = msgpack::unpack(t.payload.data(), t.payload.size());
                        due +=
                            std::chrono::milliseconds(h.get().via.array.ptr[0].as<std::int64_t>());
                    } else if (t.name == "held" && released_early_.erase(t.id) == 0) {
                        due += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(held_at_most_s));
                    }
                    pending_.emplace(t.id, m->identity);
                    delayed_.push_back({due, m->identity, std::move(o)});
                }
                break;
            }
            case proto::command::revoke: {
                const auto r = proto::decode<proto::revoke>(m->body);
                for (const auto& id : r.ids) {
                    ++revokes_seen;
                    for (auto it = delayed_.begin(); it != delayed_.end(); ++it) {
                        if (it->outcome.id == id) {
                            delayed_.erase(it);
                            break;
                        }
                    }
                    proto::outcome o;
                    o.id = id;
                    o.status = proto::task_status::revoked;
                    o.error = {"revoked", "revoked by a client", "broker"};
                    if (const auto it = pending_.find(id); it != pending_.end()) {
                        const std::string submitter = it->second;  // finish() erases the entry
                        finish(submitter, std::move(o));
                    }
                }
                break;
            }
            case proto::command::fetch: {
                ++fetches_seen;
                const auto f = proto::decode<proto::fetch>(m->body);
                proto::fetched reply;
                for (const auto& id : f.ids) {
                    proto::fetched_entry e;
                    e.id = id;
                    if (const auto it = store_.find(id); it != store_.end()) {
                        e.state = proto::result_state::done;
                        e.result = it->second;
                    } else if (pending_.count(id)) {
                        e.state = proto::result_state::pending;
                    }
                    reply.entries.push_back(std::move(e));
                }
                send(m->identity, reply);
                break;
            }
            case proto::command::inspect: {
                const auto q = proto::decode<proto::inspect>(m->body);
                proto::report r;
                r.what = q.what;
                if (q.what == "workers") {
                    r.rows.push_back(
                        {{"name", std::string("worker-7")}, {"slots", std::int64_t{4}}});
                }
                send(m->identity, r);
                break;
            }
            case proto::command::purge: {
                const auto p = proto::decode<proto::purge>(m->body);
                send(m->identity, proto::purged{p.queue, 3});
                break;
            }
            default:
                break;
        }
    }

    void finish(const std::string& identity, proto::outcome o) {
        pending_.erase(o.id);
        store_[o.id] = o;
        proto::result r;
        r.outcomes.push_back(std::move(o));
        send(identity, r);
    }

    raw_peer router_ = raw_peer::router_on_loopback();
    std::atomic<bool> running_{false};
    std::thread server_;
    // serve() state, its thread only.
    std::vector<delayed> delayed_;
    std::map<proto::task_id, std::string> pending_;  // id -> submitter
    std::map<proto::task_id, proto::outcome> store_;
    std::set<proto::task_id> released_early_;  // released before their SUBMIT was read
    // release() requests, from the test's threads.
    std::mutex release_mutex_;
    std::vector<proto::task_id> to_release_;
};

}  // namespace shoal::testing
