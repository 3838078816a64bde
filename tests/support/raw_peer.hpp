#pragma once
// raw_peer: one end of SHOAL/1 played by a test on a raw ZeroMQ socket, through proto's
// framing (wire.hpp) and codec only (no dealer_link): the test writes every message the code
// under test reads, and reads every message it sends. The roles are thin layers over it: the
// fake brokers the client and worker tests talk to (a ROUTER, tests/unit/client and
// tests/unit/worker fake_broker.hpp) and the clients and workers a broker test plays
// (DEALERs, broker_test_peer.hpp).
//
// Every wait has a deadline, so a peer that never answers fails the test instead of hanging
// it; how each role reports that failure (a throw, a gtest failure) is the layer's choice.

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include "deadline.hpp"
#include "shoal/proto/codec.hpp"
#include "shoal/proto/commands.hpp"
#include "shoal/proto/messages.hpp"
#include "shoal/proto/wire.hpp"

namespace shoal::testing {

// How long a peer waits for a message it expects. Generous: a deadline only costs time when
// the message never comes (a failing test), and on a busy machine a sanitized build, or a
// worker's process pool, can take seconds to answer or to move a large message. Waits that
// expect silence pass their own.
inline constexpr double reply_deadline_s = 10.0;

struct raw_message {
    std::string identity;  // the sender's routing id on a ROUTER; empty on a DEALER
    proto::command cmd;
    std::string body;
};

// A command for a failure message; an ERROR with its code and message, since "expected
// WELCOME, got ERROR" alone would hide why.
inline std::string describe_unexpected(proto::command cmd, std::string_view body) {
    std::string what(proto::command_name(cmd));
    if (cmd == proto::command::error) {
        const auto e = proto::decode<proto::error_reply>(body);
        what += ": " + e.code + ": " + e.message;
    }
    return what;
}

// Why `m`, read by a wait of waited_s for an M, is not one; empty when it is.
template <class M>
std::string not_the_expected(const std::optional<raw_message>& m, double waited_s) {
    std::ostringstream why;
    if (!m) {
        why << "no " << proto::command_name(M::cmd) << " within " << waited_s << " s";
    } else if (m->cmd != M::cmd) {
        why << "expected " << proto::command_name(M::cmd) << ", got "
            << describe_unexpected(m->cmd, m->body);
    }
    return why.str();
}

class raw_peer {
  public:
    // A ROUTER bound to a free port on 127.0.0.1, in a context of its own: a broker's end.
    static raw_peer router_on_loopback() { return raw_peer(); }
    // A DEALER connected to `endpoint`: a client's or a worker's end.
    // `before_connect` sets what must precede connect (CURVE keys, say).
    static raw_peer dealer_to(zmq::context_t& context, const std::string& endpoint,
                              const std::function<void(zmq::socket_t&)>& before_connect = {}) {
        return raw_peer(context, endpoint, before_connect);
    }
    raw_peer(const raw_peer&) = delete;
    raw_peer& operator=(const raw_peer&) = delete;

    // Where a ROUTER listens, for the code under test to connect to.
    const std::string& endpoint() const noexcept { return endpoint_; }
    zmq::socket_t& socket() noexcept { return socket_; }

    // What the peer does while it waits, run at least every `every` (the broker tests' peers
    // heartbeat meanwhile, as a dealer_link would, or the broker declares them dead).
    void while_waiting(std::function<void()> hook, std::chrono::milliseconds every) {
        hook_ = std::move(hook);
        poll_slice_ = every;
    }

    // Sending never blocks; false if the socket refused (its queue to the peer is full).
    template <class M>
    bool send(const M& m) {
        return proto::send(socket_, m);
    }
    template <class M>
    bool send_to(std::string_view identity, const M& m) {
        return proto::send_to(socket_, identity, m);
    }
    // Any bytes as the body of `cmd`: for malformed messages.
    bool send_raw(proto::command cmd, std::string_view body) {
        return proto::send_message(socket_, cmd, body);
    }
    bool send_raw_to(std::string_view identity, proto::command cmd, std::string_view body) {
        return proto::send_routed(socket_, identity, cmd, body);
    }
    // Any frames at all, for invalid-input tests.
    void send_frames(const std::vector<std::string>& frames) {
        for (std::size_t i = 0; i < frames.size(); ++i) {
            const auto flags =
                i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
            socket_.send(zmq::buffer(frames[i]), flags);
        }
    }

    // The first message within timeout_s that take(raw_message&) accepts; nullopt after
    // that. `take` sees every message read meanwhile, so it can keep or count the ones it
    // passes over. What is waiting already is read even with a timeout of 0.
    template <class Take>
    std::optional<raw_message> receive_if(double timeout_s, Take&& take) {
        const deadline until(timeout_s);
        while (true) {
            while (auto r = proto::receive(socket_, routed_)) {
                const proto::envelope env = r->parse();
                raw_message m{std::move(r->identity), env.cmd, std::string(env.body)};
                if (take(m)) return m;
            }
            if (hook_) hook_();
            const auto left = until.left_ms();
            if (left.count() <= 0) return std::nullopt;
            zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
            zmq::poll(&item, 1, std::min(left, poll_slice_));
        }
    }
    std::optional<raw_message> receive(double timeout_s) {
        return receive_if(timeout_s, [](const raw_message&) { return true; });
    }

  private:
    raw_peer()
        : own_context_(std::in_place),
          socket_(*own_context_, zmq::socket_type::router),
          routed_(true) {
        proto::configure_socket(socket_);
        socket_.bind("tcp://127.0.0.1:0");
        endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
    }
    raw_peer(zmq::context_t& context, const std::string& endpoint,
             const std::function<void(zmq::socket_t&)>& before_connect)
        : socket_(context, zmq::socket_type::dealer), endpoint_(endpoint), routed_(false) {
        proto::configure_socket(socket_);
        if (before_connect) before_connect(socket_);
        socket_.connect(endpoint);
    }

    std::optional<zmq::context_t> own_context_;  // a ROUTER's; outlives its socket
    zmq::socket_t socket_;
    std::string endpoint_;
    bool routed_;
    std::function<void()> hook_;
    std::chrono::milliseconds poll_slice_{50};
};

}  // namespace shoal::testing
