#pragma once
// router_port: the broker's ZeroMQ ROUTER socket as a message_port (PROTOCOL.md section 2).
// It binds, reads whole messages (at most the frames SHOAL/1 allows), and sends without ever
// blocking. ROUTER_MANDATORY makes a send to a peer that is gone, or whose queue is full,
// fail instead of vanishing silently: the core counts it.
//
// Thread-safety: none; the broker's loop thread only.

#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "message_port.hpp"
#include "shoal/proto/wire.hpp"

namespace shoal::broker {

class router_port final : public message_port {
  public:
    explicit router_port(zmq::context_t& context);
    ~router_port() override;
    router_port(const router_port&) = delete;
    router_port& operator=(const router_port&) = delete;

    // Binds and returns the real endpoint (the port chosen for port 0). Throws zmq::error_t.
    std::string bind(const std::string& endpoint);
    zmq::socket_t& socket() noexcept { return socket_; }
    // The raw socket, for the loop's zmq reader.
    void* handle() noexcept { return socket_.handle(); }
    // CURVE on, every handshake through the ZAP handler of `zap_domain`; before bind. Each
    // message then carries its connection's User-Id.
    void require_curve(const std::string& secret_key, const std::string& zap_domain);
    // The next whole message, or nullopt when none is waiting. Throws zmq::error_t.
    std::optional<proto::received_message> receive() {
        return proto::receive(socket_, true, authenticates_);
    }
    bool send(std::string_view identity, proto::command cmd, std::string_view body) override;
    // Closes the socket, giving what was queued `linger_ms` to leave.
    void close(int linger_ms);

  private:
    zmq::socket_t socket_;
    bool authenticates_ = false;
};

}  // namespace shoal::broker
