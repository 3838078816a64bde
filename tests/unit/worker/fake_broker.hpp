#pragma once
// The broker's side of SHOAL/1 played by a worker test, on a raw_peer's ROUTER
// (tests/support/raw_peer.hpp), and a shoal::worker running on its own thread. No broker code
// is involved, so these tests pin the worker's half of the protocol.

#include <algorithm>
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

#include <gtest/gtest.h>

#include "deadline.hpp"
#include "raw_peer.hpp"
#include "shoal/common/detail/msgpack_codec.hpp"
#include "shoal/proto/codec.hpp"
#include "shoal/worker/worker.hpp"

namespace shoal::testing {

class fake_broker {
  public:
    const std::string& endpoint() const noexcept { return router_.endpoint(); }

    // The next message from the worker, heartbeats skipped, and STARTEDs too unless
    // keep_started (they are kept in started_seen); nullopt after `seconds`.
    std::optional<raw_message> next(double seconds = reply_deadline_s, bool keep_started = false) {
        return router_.receive_if(seconds, [&](const raw_message& m) {
            if (m.cmd == proto::command::heartbeat) return false;
            if (m.cmd == proto::command::started && !keep_started) {
                keep_started_tasks(m);
                return false;
            }
            return true;
        });
    }

    // The next message, which must be a Message; nullopt (and a test failure) otherwise.
    template <class Message>
    std::optional<Message> expect(double seconds = reply_deadline_s) {
        auto m = next(seconds, Message::cmd == proto::command::started);
        if (const std::string why = not_the_expected<Message>(m, seconds); !why.empty()) {
            ADD_FAILURE() << why << " (from the worker)";
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
        ASSERT_TRUE(router_.send_to(identity_, m));
    }
    // To another peer than the worker handshake() met (e.g. the worker's subtask client).
    template <class Message>
    void send_to(const std::string& identity, const Message& m) {
        ASSERT_TRUE(router_.send_to(identity, m));
    }
    void send_raw(proto::command cmd, std::string_view body) {
        ASSERT_TRUE(router_.send_raw_to(identity_, cmd, body));
    }

    // Waits until the worker said it started `id` (STARTED, its entries kept in started_seen);
    // anything but heartbeats meanwhile fails the test. False after `seconds`.
    bool wait_started(const proto::task_id& id, double seconds = reply_deadline_s) {
        const auto started = [&] {
            return std::any_of(started_seen.begin(), started_seen.end(),
                               [&](const proto::task_attempt& t) { return t.id == id; });
        };
        if (started()) return true;
        const auto m = router_.receive_if(seconds, [&](const raw_message& r) {
            if (r.cmd == proto::command::heartbeat) return false;
            if (r.cmd != proto::command::started) {
                ADD_FAILURE() << "while waiting for STARTED: " << proto::command_name(r.cmd);
                return false;
            }
            keep_started_tasks(r);
            return started();
        });
        return m.has_value();
    }

    std::vector<proto::task_attempt> started_seen;  // every STARTED entry next() passed over

  private:
    void keep_started_tasks(const raw_message& m) {
        for (const auto& t : proto::decode<proto::started>(m.body).tasks) started_seen.push_back(t);
    }

    raw_peer router_ = raw_peer::router_on_loopback();
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
        const deadline until(seconds);
        while (!finished() && !until.passed()) {
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
inline worker_options test_options(const fake_broker& broker, std::uint32_t slots = 4,
                                   std::uint32_t prefetch = 0) {
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
    const deadline until(seconds);
    while (c.by_id.size() < count && !until.passed()) {
        auto m = broker.next(until.left_s());
        if (!m) break;
        if (m->cmd == proto::command::done) {
            auto d = proto::decode<proto::done>(m->body);
            for (const auto& f : d.finished) c.by_id[f.result.id] = f;
            c.dones.push_back(std::move(d));
        } else if (m->cmd == proto::command::ready) {
            c.readies.push_back(proto::decode<proto::ready>(m->body));
        } else {
            ADD_FAILURE() << "unexpected " << proto::command_name(m->cmd)
                          << " while collecting results";
        }
    }
    return c;
}

template <class T>
T result_of(const proto::finished_task& f) {
    return detail::unpack_result<T>(f.result.payload);
}

}  // namespace shoal::testing
