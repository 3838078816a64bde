#include "zap_handler.hpp"

#include <array>
#include <chrono>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

namespace shoal::broker {

namespace {

constexpr auto stop_check_interval = std::chrono::milliseconds(100);
constexpr std::size_t curve_request_frames = 7;  // RFC 27: six fields and the public key

using clock_type = std::chrono::steady_clock;

double seconds_now() {
    return std::chrono::duration<double>(clock_type::now().time_since_epoch()).count();
}

}  // namespace

zap_handler::zap_handler(zmq::context_t& context, key_registry keys, zmq::socket_t& watched)
    : socket_(context, zmq::socket_type::rep),
      monitor_(context, zmq::socket_type::pair),
      keys_(std::make_shared<const key_registry>(std::move(keys))) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind("inproc://zeromq.zap.01");
    // Unique per handler: tests run several brokers in one context-less process each.
    const std::string monitor_endpoint =
        fmt::format("inproc://shoal-handshakes-{}", static_cast<void*>(this));
    if (zmq_socket_monitor(
            watched.handle(), monitor_endpoint.c_str(),
            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0) {
        throw zmq::error_t();
    }
    monitor_.set(zmq::sockopt::linger, 0);
    monitor_.connect(monitor_endpoint);
    thread_ = std::thread([this] { run(); });
}

zap_handler::~zap_handler() {
    stopping_.store(true);
    if (thread_.joinable()) thread_.join();
}

void zap_handler::replace_keys(key_registry keys) {
    auto fresh = std::make_shared<const key_registry>(std::move(keys));
    const std::lock_guard lock(keys_mutex_);
    keys_ = std::move(fresh);
}

std::shared_ptr<const key_registry> zap_handler::keys() const {
    const std::lock_guard lock(keys_mutex_);
    return keys_;
}

void zap_handler::run() {
    std::array<zmq::pollitem_t, 2> items{
        {{socket_.handle(), 0, ZMQ_POLLIN, 0}, {monitor_.handle(), 0, ZMQ_POLLIN, 0}}};
    while (!stopping_.load()) {
        try {
            if (zmq::poll(items.data(), items.size(), stop_check_interval) <= 0) continue;
            if ((items[0].revents & ZMQ_POLLIN) != 0) answer_one();
            if ((items[1].revents & ZMQ_POLLIN) != 0) note_failed_handshake();
        } catch (const zmq::error_t& e) {
            if (e.num() == ETERM) return;  // the context is going away
            spdlog::error("shoal-broker: ZAP handler: {}", e.what());
        }
    }
}

void zap_handler::answer_one() {
    std::vector<zmq::message_t> request;
    for (;;) {
        zmq::message_t frame;
        if (!socket_.recv(frame, zmq::recv_flags::none)) return;
        const bool more = frame.more();
        request.push_back(std::move(frame));
        if (!more) break;
    }
    auto reply = [&](const char* code, const std::string& text, const std::string& user_id) {
        const std::string version = "1.0";
        const std::string request_id = request.size() > 1 ? request[1].to_string() : std::string();
        socket_.send(zmq::buffer(version), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(std::string(code)), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(text), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(user_id), zmq::send_flags::sndmore);
        socket_.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::none);
    };
    const std::string address = request.size() > 3 ? request[3].to_string() : std::string("?");
    auto refuse = [&](const char* kind, const std::string& why) {
        this->refuse(kind, why, address);
        reply("400", why, "");
    };
    if (request.size() < 6 || request[0].to_string_view() != "1.0") {
        refuse("zap_malformed", "malformed ZAP request");
        return;
    }
    if (request[2].to_string_view() != zap_domain) {
        refuse("zap_domain", "unknown ZAP domain '" + request[2].to_string() + "'");
        return;
    }
    if (request[5].to_string_view() != "CURVE" || request.size() != curve_request_frames ||
        request[6].size() != 32) {
        refuse("zap_mechanism",
               "mechanism " + request[5].to_string() + " refused: CURVE keys required");
        return;
    }
    const std::shared_ptr<const key_registry> keys = this->keys();
    const principal* who = keys->find_raw(request[6].to_string_view());
    if (who == nullptr) {
        std::array<char, 41> z85{};
        zmq_z85_encode(z85.data(), static_cast<const std::uint8_t*>(request[6].data()), 32);
        refuse("zap_unknown_key", std::string("unknown key ") + z85.data());
        return;
    }
    accepted_.fetch_add(1, std::memory_order_relaxed);
    reply("200", "OK", who->user_id());
}

void zap_handler::refuse(const char* kind, const std::string& why, const std::string& address) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t held_back = 0;
    if (limiter_.allow(kind, seconds_now(), held_back)) {
        spdlog::warn("shoal-broker: refused a connection from {}: {}{}", address, why,
                     held_back > 0
                         ? fmt::format(" ({} more refused since the last line)", held_back)
                         : std::string());
    }
}

void zap_handler::note_failed_handshake() {
    // A monitor event: [uint16 event, uint32 value], then the endpoint (ours, not the peer's).
    zmq::message_t event;
    if (!monitor_.recv(event, zmq::recv_flags::dontwait)) return;
    for (bool more = event.more(); more;) {
        zmq::message_t rest;
        if (!monitor_.recv(rest, zmq::recv_flags::dontwait)) break;
        more = rest.more();
    }
    refuse("handshake_failed",
           "handshake failed (a plaintext peer, or one expecting another broker key)", "a peer");
}

}  // namespace shoal::broker
