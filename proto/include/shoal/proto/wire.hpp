#pragma once
// Sending and receiving whole SHOAL/1 messages on ZeroMQ sockets (PROTOCOL.md section 2).
// A DEALER sends [SHOAL1, command, body]; a ROUTER sees the peer's identity frame first.
//
// receive() never stores more frames than a message may have: extra frames are read and
// dropped (counted in frame_count, so parse_envelope reports bad_frames). Socket-level
// ZMQ_MAXMSGSIZE is set by configure_socket() to a hard ceiling above the protocol limit, so a
// hostile peer cannot make us buffer gigabytes, while a message merely over the protocol limit
// still arrives and gets a clear too_large reply.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "shoal/proto/codec.hpp"
#include "shoal/proto/commands.hpp"
#include "shoal/proto/envelope.hpp"

namespace shoal::proto {

// Hard per-frame ceiling at the socket: beyond it libzmq drops the peer's connection.
inline constexpr std::int64_t socket_max_frame_bytes = 64ll << 20;

// Dead connections (wire.cpp, configure_socket): a ZMTP PING every 2 s, the connection closed
// after 10 s without an answer; TCP keepalive after 30 s idle, 3 probes 5 s apart.
inline constexpr int zmtp_heartbeat_ivl_ms = 2000;
inline constexpr int zmtp_heartbeat_timeout_ms = 10'000;
inline constexpr int tcp_keepalive_idle_s = 30;
inline constexpr int tcp_keepalive_interval_s = 5;
inline constexpr int tcp_keepalive_probes = 3;

// Linger, high-water marks, the frame ceiling and dead-connection detection every Shoal
// socket uses.
void configure_socket(zmq::socket_t& socket);

// Sends one message without blocking; returns false if the socket refused it (its queue to
// that peer is full, or, on a ROUTER_MANDATORY socket, the identity is not connected).
bool send_message(zmq::socket_t& socket, command cmd, std::string_view body);
bool send_routed(zmq::socket_t& router, std::string_view identity, command cmd,
                 std::string_view body);

template <class Message>
bool send(zmq::socket_t& socket, const Message& m) {
    return send_message(socket, Message::cmd, encode(m));
}
template <class Message>
bool send_to(zmq::socket_t& router, std::string_view identity, const Message& m) {
    return send_routed(router, identity, Message::cmd, encode(m));
}

struct received_message {
    std::string identity;                // ROUTER only: the sender's routing id
    std::vector<zmq::message_t> frames;  // at most frames_per_message, without identity
    std::size_t frame_count = 0;         // frames the message really had (without identity)
    // The connection's authenticated principal (ZAP's User-Id, e.g. "worker:gpu-1"), when asked
    // for and the socket authenticates; empty otherwise.
    std::string user_id;

    // The frames as views, for parse_envelope; bad_frames if frame_count was wrong.
    envelope parse(const decode_limits& limits = {}) const;
};

// Reads one whole message without blocking; nullopt when none is waiting.
// routed: the socket is a ROUTER (first frame is the identity); with_user_id: fill user_id.
std::optional<received_message> receive(zmq::socket_t& socket, bool routed,
                                        bool with_user_id = false);

}  // namespace shoal::proto
