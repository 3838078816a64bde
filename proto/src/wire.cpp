#include "shoal/proto/wire.hpp"

#include <array>

namespace shoal::proto {

void configure_socket(zmq::socket_t& socket) {
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::maxmsgsize, socket_max_frame_bytes);
    // Large queues: a burst of batched results must not block or drop at the socket. (What
    // one peer may cost in bytes is bounded above this, by the broker's output window.)
    socket.set(zmq::sockopt::sndhwm, 100'000);
    socket.set(zmq::sockopt::rcvhwm, 100'000);
    // A peer whose host vanished (powered off, a NAT that forgot the flow) sends nothing, and
    // TCP alone keeps its connection, descriptor and queued messages for hours. ZMTP
    // heartbeats close a connection that misses its PONGs; TCP keepalive covers connections
    // still in their handshake. SHOAL/1's own heartbeats end the session; these free the rest.
    socket.set(zmq::sockopt::heartbeat_ivl, zmtp_heartbeat_ivl_ms);
    socket.set(zmq::sockopt::heartbeat_timeout, zmtp_heartbeat_timeout_ms);
    socket.set(zmq::sockopt::heartbeat_ttl, zmtp_heartbeat_timeout_ms);
    socket.set(zmq::sockopt::tcp_keepalive, 1);
    socket.set(zmq::sockopt::tcp_keepalive_idle, tcp_keepalive_idle_s);
    socket.set(zmq::sockopt::tcp_keepalive_intvl, tcp_keepalive_interval_s);
    socket.set(zmq::sockopt::tcp_keepalive_cnt, tcp_keepalive_probes);
}

namespace {

bool send_frames(zmq::socket_t& socket, std::string_view identity, bool routed, command cmd,
                 std::string_view body) {
    const auto cmd_byte = static_cast<std::uint8_t>(cmd);
    // Never block the caller's loop: a full queue (EAGAIN) is reported as false. Once the
    // first frame is taken, ZeroMQ takes the rest of the message too.
    constexpr auto more_flags = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
    constexpr auto last_flags = zmq::send_flags::dontwait;
    try {
        if (routed) {
            if (!socket.send(zmq::const_buffer(identity.data(), identity.size()), more_flags)) {
                return false;
            }
        }
        if (!socket.send(zmq::const_buffer(protocol_id.data(), protocol_id.size()), more_flags)) {
            return false;
        }
        (void)socket.send(zmq::const_buffer(&cmd_byte, 1), more_flags);
        return socket.send(zmq::const_buffer(body.data(), body.size()), last_flags).has_value();
    } catch (const zmq::error_t& e) {
        // EHOSTUNREACH: a ROUTER_MANDATORY peer that is gone. The caller decides what it means.
        if (e.num() == EHOSTUNREACH) return false;
        throw;
    }
}

}  // namespace

bool send_message(zmq::socket_t& socket, command cmd, std::string_view body) {
    return send_frames(socket, {}, false, cmd, body);
}

bool send_routed(zmq::socket_t& router, std::string_view identity, command cmd,
                 std::string_view body) {
    return send_frames(router, identity, true, cmd, body);
}

envelope received_message::parse(const decode_limits& limits) const {
    if (frame_count != frames_per_message) {
        throw decode_error(decode_errc::bad_frames, std::to_string(frame_count) +
                                                        " frames, expected " +
                                                        std::to_string(frames_per_message));
    }
    const std::array<std::string_view, frames_per_message> views{
        frames[0].to_string_view(), frames[1].to_string_view(), frames[2].to_string_view()};
    return parse_envelope(views, limits);
}

std::optional<received_message> receive(zmq::socket_t& socket, bool routed, bool with_user_id) {
    zmq::message_t first;
    if (!socket.recv(first, zmq::recv_flags::dontwait)) return std::nullopt;
    received_message msg;

    bool more = first.more();
    if (routed) {
        msg.identity.assign(static_cast<const char*>(first.data()), first.size());
    } else {
        msg.frames.push_back(std::move(first));
        msg.frame_count = 1;
    }
    // The rest of a multipart message is already here (ZeroMQ delivers it atomically).
    while (more) {
        zmq::message_t frame;
        if (!socket.recv(frame, zmq::recv_flags::dontwait)) break;
        more = frame.more();
        ++msg.frame_count;
        if (with_user_id && msg.frame_count == 1) {
            // A frame from the wire carries its connection's metadata (a ROUTER's identity
            // frame is its own and carries none); absent without authentication.
            if (const char* user = zmq_msg_gets(frame.handle(), "User-Id")) msg.user_id = user;
        }
        if (msg.frames.size() < frames_per_message) msg.frames.push_back(std::move(frame));
    }
    return msg;
}

}  // namespace shoal::proto
