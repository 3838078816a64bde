#include "router_port.hpp"

#include "shoal/proto/curve_keys.hpp"

namespace shoal::broker {

router_port::router_port(zmq::context_t& context) : socket_(context, zmq::socket_type::router) {
    proto::configure_socket(socket_);
    socket_.set(zmq::sockopt::router_mandatory, 1);
}

router_port::~router_port() = default;

void router_port::require_curve(const std::string& secret_key, const std::string& zap_domain) {
    proto::apply_curve_server(socket_, secret_key, zap_domain);
    authenticates_ = true;
}

std::string router_port::bind(const std::string& endpoint) {
    socket_.bind(endpoint);
    return socket_.get(zmq::sockopt::last_endpoint);
}

bool router_port::send(std::string_view identity, proto::command cmd, std::string_view body) {
    if (!socket_) return false;
    return proto::send_routed(socket_, identity, cmd, body);
}

void router_port::close(int linger_ms) {
    if (!socket_) return;
    socket_.set(zmq::sockopt::linger, linger_ms);
    socket_.close();
}

}  // namespace shoal::broker
