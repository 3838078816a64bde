#pragma once
// The broker's side of SHOAL/1 played by a test: a raw ROUTER socket on a free loopback port,
// driven by hand with proto::send_to / proto::receive, and a shoal::worker running on its own
// thread. No broker code is involved, so these tests pin the worker's half of the protocol.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "shoal/common/detail/msgpack_codec.hpp"
#include "shoal/proto/codec.hpp"
#include "shoal/proto/wire.hpp"
#include "shoal/worker/worker.hpp"

namespace shoal::testing {

// How long the fake broker waits for a message it expects. Generous: a deadline only costs
// time when the message never comes (a failing test), and a worker on a busy machine, its
// process pool under ASan, can take seconds to answer. Waits that expect silence pass their own.
inline constexpr double reply_deadline_s = 10.0;

struct broker_message {
    std::string identity;
    proto::command cmd;
    std::string body;
};

class fake_broker {
public:
    fake_broker() : router_(context_, zmq::socket_type::router) {
        proto::configure_socket(router_);
        router_.bind("tcp://127.0.0.1:0");
        endpoint_ = router_.get(zmq::sockopt::last_endpoint);
    }

    const std::string& endpoint() const noexcept { return endpoint_; }

    // The next message from the worker, heartbeats skipped, and STARTEDs too unless
    // keep_started (they are kept in started_seen); nullopt after `seconds`.
    std::optional<broker_message> next(double seconds = reply_deadline_s,
                                       bool keep_started = false) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (true) {
            if (auto m = proto::receive(router_, true)) {
                const auto env = m->parse();
                if (env.cmd == proto::command::heartbeat) continue;
                if (env.cmd == proto::command::started && !keep_started) {
                    for (const auto& t : proto::decode<proto::started>(env.body).tasks) started_seen.push_back(t);
                    continue;
                }
                return broker_message{m->identity, env.cmd, std::string(env.body)};
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
            zmq::poll(&item, 1, std::min<std::chrono::milliseconds>(left, std::chrono::milliseconds(50)));
        }
    }

    // The next message, which must be a Message; nullopt (and a test failure) otherwise.
    template <class Message>
    std::optional<Message> expect(double seconds = reply_deadline_s) {
        auto m = next(seconds, Message::cmd == proto::command::started);
        if (!m) {
            ADD_FAILURE() << "no " << proto::command_name(Message::cmd) << " from the worker within "
                          << seconds << " s";
            return std::nullopt;
        }
        if (m->cmd != Message::cmd) {
            ADD_FAILURE() << "expected " << proto::command_name(Message::cmd) << ", got "
                          << proto::command_name(m->cmd);
            return std::nullopt;
        }
        return proto::decode<Message>(m->body);
    }

    // Waits for HELLO and answers WELCOME; returns the HELLO.
    std::optional<proto::hello> handshake(proto::welcome w = {}) {
        auto m = next();
        if (!m || m->cmd != proto::command::hello) {
            ADD_FAILURE() << "no HELLO from the worker";
            return std::nullopt;
        }
        identity_ = m->identity;
        send(w);
        return proto::decode<proto::hello>(m->body);
    }

    template <class Message>
    void send(const Message& m) {
        ASSERT_TRUE(proto::send_to(router_, identity_, m));
    }
    // To another peer than the worker handshake() met (e.g. the worker's subtask client).
    template <class Message>
    void send_to(const std::string& identity, const Message& m) {
        ASSERT_TRUE(proto::send_to(router_, identity, m));
    }
    void send_raw(proto::command cmd, std::string_view body) {
        ASSERT_TRUE(proto::send_routed(router_, identity_, cmd, body));
    }

    // Waits until the worker said it started `id` (STARTED), reading and keeping whatever
    // else it sends meanwhile for next(); false after `seconds`.
    bool wait_started(const proto::task_id& id, double seconds = reply_deadline_s) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (true) {
            for (const auto& t : started_seen) {
                if (t.id == id) return true;
            }
            const double left = std::chrono::duration<double>(until - std::chrono::steady_clock::now()).count();
            if (left <= 0) return false;
            auto m = next(std::min(left, 0.05), true);
            if (!m) continue;
            if (m->cmd == proto::command::started) {
                for (const auto& t : proto::decode<proto::started>(m->body).tasks) started_seen.push_back(t);
            } else {
                ADD_FAILURE() << "while waiting for STARTED: " << proto::command_name(m->cmd);
            }
        }
    }

    std::vector<proto::task_attempt> started_seen;  // every STARTED entry next() passed over

private:
    zmq::context_t context_;
    zmq::socket_t router_;
    std::string endpoint_;
    std::string identity_;
};

// A shoal::worker on its own thread, its tasks defined by `define` before it starts.
class worker_thread {
public:
    worker_thread(worker_options options, const std::function<void(task_registry&)>& define)
        : worker_(std::make_unique<shoal::worker>(std::move(options))) {
        define(worker_->registry());
        thread_ = std::thread([this] {
            try {
                exit_code_ = worker_->run();
            } catch (...) {
                error_ = std::current_exception();
            }
            done_ = true;
        });
    }
    ~worker_thread() {
        if (thread_.joinable()) {
            worker_->stop();
            thread_.join();
        }
    }

    shoal::worker& worker() noexcept { return *worker_; }
    std::thread::native_handle_type native_handle() { return thread_.native_handle(); }

    // run()'s result once the thread ends (at most `seconds`); nullopt if it is still running.
    std::optional<int> wait(double seconds) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (!finished() && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        if (!finished()) return std::nullopt;
        thread_.join();
        if (error_) std::rethrow_exception(error_);
        return exit_code_;
    }

private:
    bool finished() const { return done_.load(); }

    std::unique_ptr<shoal::worker> worker_;
    std::atomic<bool> done_{false};  // set by the thread once run() returned
    int exit_code_ = -1;
    std::exception_ptr error_;
    std::thread thread_;  // last: starts once everything above exists
};

// Options for a worker under test: this broker, a recognisable name, no signal handling.
inline worker_options test_options(const fake_broker& broker, std::uint32_t slots = 4, std::uint32_t prefetch = 0) {
    worker_options o;
    o.broker = broker.endpoint();
    o.name = "test-worker";
    o.threads = 2;
    o.processes = 1;
    o.concurrency = slots;
    o.prefetch = prefetch;
    o.handle_signals = false;
    o.grace_seconds = 5;
    return o;
}

// A task to dispatch: a fresh id and the arguments packed as a msgpack array.
template <class... Args>
proto::dispatched_task make_task(std::string name, const Args&... args) {
    proto::dispatched_task t;
    t.id = proto::task_id::random();
    t.name = std::move(name);
    t.payload = detail::pack_arguments(args...);
    return t;
}

inline proto::dispatch dispatch_of(std::vector<proto::dispatched_task> tasks) {
    return proto::dispatch{std::move(tasks), {}, 0};
}

// Every outcome in DONE messages until `count` arrived or `seconds` passed, by task id; the
// DONE messages themselves are kept in `dones` for batching and credit checks.
struct collected {
    std::map<proto::task_id, proto::finished_task> by_id;
    std::vector<proto::done> dones;
    std::vector<proto::ready> readies;
    std::uint64_t credit() const {
        std::uint64_t c = 0;
        for (const auto& d : dones) c += d.credit;
        for (const auto& r : readies) c += r.credit;
        return c;
    }
};

inline collected collect(fake_broker& broker, std::size_t count,
                         double seconds = reply_deadline_s) {
    collected c;
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (c.by_id.size() < count) {
        const double left = std::chrono::duration<double>(until - std::chrono::steady_clock::now()).count();
        if (left <= 0) break;
        auto m = broker.next(left);
        if (!m) break;
        if (m->cmd == proto::command::done) {
            auto d = proto::decode<proto::done>(m->body);
            for (const auto& f : d.finished) c.by_id[f.result.id] = f;
            c.dones.push_back(std::move(d));
        } else if (m->cmd == proto::command::ready) {
            c.readies.push_back(proto::decode<proto::ready>(m->body));
        } else {
            ADD_FAILURE() << "unexpected " << proto::command_name(m->cmd) << " while collecting results";
        }
    }
    return c;
}

template <class T>
T result_of(const proto::finished_task& f) {
    return detail::unpack_result<T>(f.result.payload);
}

}  // namespace shoal::testing
