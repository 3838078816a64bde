#pragma once
// message_port: the broker core's one door to the network. The core hands it whole messages
// for a peer, named by its routing identity, and never touches a socket itself; what arrives
// is given to the core as proto::received_message (broker_core::deliver). router_port is the
// real door, a ZeroMQ ROUTER socket; tests drive the core through a port that records what it
// sends, so that broker behaviour is tested in-process, on a manual clock, without timeouts.

#include <string_view>

#include "shoal/proto/commands.hpp"

namespace shoal::broker {

class message_port {
  public:
    virtual ~message_port() = default;
    // Queues one message for the peer without blocking. False if it cannot be delivered now
    // (the peer is gone, or its queue is full): nothing of it was sent.
    virtual bool send(std::string_view identity, proto::command cmd, std::string_view body) = 0;
};

}  // namespace shoal::broker
