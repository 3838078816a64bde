#pragma once
// dealer_link: one client's or worker's connection to the broker, on a common/ event_loop
// (PROTOCOL.md sections 6 and 7). It owns the DEALER socket and does the parts of the dialog
// every peer shares:
//   - HELLO on connect; the session starts at WELCOME (its heartbeat and liveness then rule);
//   - HEARTBEAT when nothing else was sent for heartbeat_ms; any message from the broker
//     counts as life;
//   - the output window (PROTOCOL.md 7.1): the body bytes received in the session are
//     acknowledged in every HEARTBEAT, and at once whenever a quarter of the window has come
//     in since the last acknowledgement, so the broker never stops sending to a peer that
//     reads;
//   - the broker silent for heartbeat_ms * liveness, or answering ERROR not_registered (it
//     restarted and forgot us): the session is lost, the socket is replaced, and HELLO is sent
//     again after an exponential back-off (100 ms doubling to 5 s, with jitter);
//   - several brokers (an endpoint list "tcp://a:5555,tcp://b:5555", PROTOCOL.md 6.7): one is
//     active, the others stand by and answer ERROR not_active. A link that is refused that
//     way, whose broker went silent, or whose broker said BYE (closing, or giving up its
//     lease), tries the next endpoint in the list (the same one, alone), with the same
//     back-off.
// Everything else is handed to the owner: connected() after each WELCOME (the first and every
// reconnect: resend what is unanswered), message() for every other command, lost() when a
// session ends.
//
// Thread-safety: none. Every member runs on the loop's thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "shoal/common/event_loop.hpp"
#include "shoal/common/handle.hpp"
#include "shoal/proto/curve_keys.hpp"
#include "shoal/proto/messages.hpp"
#include "shoal/proto/wire.hpp"

namespace shoal::proto {

struct dealer_link_options {
    std::string endpoint;  // e.g. tcp://127.0.0.1:5555, or several separated by commas
    hello greeting;        // sent at every (re)connect
    double reconnect_initial_s = 0.1;
    double reconnect_max_s = 5.0;
    // Used until the first WELCOME says otherwise.
    std::uint32_t heartbeat_ms = 1000;
    std::uint32_t liveness = 3;
    // In a session, close() gives what was sent last (results, the BYE) this long to leave
    // before the socket goes (linger is otherwise 0); the context's destruction waits for it.
    std::uint32_t close_linger_ms = 1000;
    // Set: the link speaks CURVE (encrypted, and authenticated by the broker's ZAP handler).
    std::optional<curve_client_keys> curve;
};

struct dealer_link_events {
    std::function<void(const welcome&)> connected;
    std::function<void(command, std::string_view body)> message;
    std::function<void(std::string_view why)> lost;
};

class dealer_link {
  public:
    dealer_link(event_loop& loop, zmq::context_t& context, dealer_link_options options,
                dealer_link_events events);
    ~dealer_link();
    dealer_link(const dealer_link&) = delete;
    dealer_link& operator=(const dealer_link&) = delete;

    // Connects and sends HELLO.
    void start();
    // Sends BYE (if in a session) and closes the socket, lingering close_linger_ms so that the
    // BYE and the messages before it still leave; nothing is delivered afterwards.
    void close(std::string_view reason = "closing");

    // Sends one message if a session is up; false otherwise (the caller keeps it and resends
    // after connected()).
    bool send_raw(command cmd, std::string_view body);
    template <class Message>
    bool send(const Message& m) {
        return send_raw(Message::cmd, encode(m));
    }

    bool in_session() const noexcept { return in_session_; }
    const welcome& session() const noexcept { return session_; }
    // Sessions started so far (1 after the first WELCOME).
    std::uint64_t sessions() const noexcept { return sessions_; }
    // Body bytes received from the broker in this session (after its WELCOME).
    std::uint64_t received_bytes() const noexcept { return received_bytes_; }
    // The broker endpoint the link talks to now (one of the list).
    const std::string& endpoint() const noexcept { return endpoints_[current_]; }

  private:
    void open_socket();
    void close_socket() noexcept;
    void on_readable();
    void handle(const received_message& msg);
    void end_session(std::string_view why);
    void schedule_reconnect();
    void reconnect_elsewhere(std::string_view why);
    void next_endpoint();
    void tick();
    void acknowledge_if_due();
    bool send_heartbeat();
    double heartbeat_s() const noexcept;

    event_loop& loop_;
    zmq::context_t& context_;
    dealer_link_options options_;
    dealer_link_events events_;
    std::vector<std::string> given_;      // the list in options_.endpoint, never empty
    std::vector<std::string> endpoints_;  // given_ with its names resolved, never empty
    std::size_t current_ = 0;
    std::unique_ptr<zmq::socket_t> socket_;
    welcome session_{};
    bool in_session_ = false;
    bool closed_ = false;
    std::uint64_t sessions_ = 0;
    double last_sent_ = 0;
    double last_heard_ = 0;
    double backoff_s_ = 0;
    std::uint64_t received_bytes_ = 0;  // this session's, after WELCOME
    std::uint64_t acked_bytes_ = 0;     // the count last sent in a HEARTBEAT
    timer_handle tick_timer_;
    timer_handle reconnect_timer_;
    std::minstd_rand jitter_;
};

}  // namespace shoal::proto
