#include "shoal/proto/dealer_link.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "shoal/proto/broker_endpoints.hpp"

namespace shoal::proto {

namespace {
// Messages handled per readable wake-up before yielding to the rest of the loop.
constexpr int max_messages_per_wakeup = 4096;

}  // namespace

dealer_link::dealer_link(event_loop& loop, zmq::context_t& context, dealer_link_options options,
                         dealer_link_events events)
    : loop_(loop),
      context_(context),
      options_(std::move(options)),
      events_(std::move(events)),
      given_(split_endpoints(options_.endpoint)),
      endpoints_(resolve_endpoints(given_)),
      jitter_(static_cast<std::minstd_rand::result_type>(reinterpret_cast<std::uintptr_t>(this) ^
                                                         static_cast<std::uintptr_t>(::getpid()))) {
    session_.heartbeat_ms = options_.heartbeat_ms;
    session_.liveness = options_.liveness;
}

dealer_link::~dealer_link() {
    tick_timer_.cancel();
    reconnect_timer_.cancel();
    close_socket();
}

void dealer_link::start() {
    closed_ = false;
    open_socket();
    tick();
}

void dealer_link::close(std::string_view reason) {
    if (closed_) return;
    if (in_session_ && send(bye{std::string(reason)}) && socket_) {
        socket_->set(zmq::sockopt::linger, static_cast<int>(options_.close_linger_ms));
    }
    closed_ = true;
    in_session_ = false;
    tick_timer_.cancel();
    reconnect_timer_.cancel();
    close_socket();
}

bool dealer_link::send_raw(command cmd, std::string_view body) {
    if (!in_session_ || !socket_) return false;
    if (!send_message(*socket_, cmd, body)) return false;
    last_sent_ = loop_.time();
    return true;
}

double dealer_link::heartbeat_s() const noexcept { return session_.heartbeat_ms / 1000.0; }

void dealer_link::open_socket() {
    close_socket();
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    configure_socket(*socket_);
    if (options_.curve) apply_curve_client(*socket_, *options_.curve);
    socket_->connect(endpoint());
    loop_.add_zmq_reader(socket_->handle(), [this] { on_readable(); });
    // Liveness of the handshake counts from the HELLO.
    last_heard_ = last_sent_ = loop_.time();
    if (!send_message(*socket_, command::hello, encode(options_.greeting))) {
        spdlog::warn("shoal: could not queue HELLO to {}", endpoint());
    }
}

void dealer_link::close_socket() noexcept {
    if (!socket_) return;
    loop_.remove_zmq_reader(socket_->handle());
    socket_.reset();
}

void dealer_link::on_readable() {
    zmq::socket_t* const current = socket_.get();
    for (int i = 0; i < max_messages_per_wakeup && socket_.get() == current && current; ++i) {
        auto msg = receive(*current, false);
        if (!msg) break;
        handle(*msg);
    }
}

void dealer_link::handle(const received_message& msg) {
    last_heard_ = loop_.time();
    envelope env;
    try {
        env = msg.parse();
    } catch (const decode_error& e) {
        spdlog::warn("shoal: dropped a message from the broker: {}", e.what());
        return;
    }
    switch (env.cmd) {
        case command::welcome: {
            welcome w;
            try {
                w = decode<welcome>(env.body);
            } catch (const decode_error& e) {
                spdlog::warn("shoal: bad WELCOME from the broker: {}", e.what());
                return;
            }
            session_ = w;
            in_session_ = true;
            ++sessions_;
            backoff_s_ = 0;
            received_bytes_ = 0;
            acked_bytes_ = 0;
            if (events_.connected) events_.connected(session_);
            return;
        }
        case command::heartbeat:
            received_bytes_ += env.body.size();
            acknowledge_if_due();
            return;
        case command::bye:
            // The broker is closing (stopped, or it lost its lease to a standby): told, then
            // the next broker of the list (the same one, alone), without waiting for silence.
            if (events_.message) events_.message(env.cmd, env.body);
            reconnect_elsewhere("the broker said BYE");
            return;
        case command::error: {
            // not_registered: the broker restarted or declared us dead. Greet it again on the
            // same socket; the owner resends what is unanswered at the next WELCOME.
            try {
                const auto err = decode<error_reply>(env.body);
                if (err.code == "not_active") {
                    // A standby broker: the active one is another of the list.
                    reconnect_elsewhere("the broker is standing by (" + err.message + ")");
                    return;
                }
                if (err.code == "not_registered") {
                    end_session("the broker does not know this session");
                    if (socket_) {
                        send_message(*socket_, command::hello, encode(options_.greeting));
                        last_sent_ = loop_.time();
                    }
                    return;
                }
            } catch (const decode_error& e) {
                spdlog::warn("shoal: bad ERROR from the broker: {}", e.what());
                return;
            }
            break;
        }
        default:
            break;
    }
    if (!in_session_ && env.cmd != command::error) {
        spdlog::debug("shoal: {} before WELCOME ignored", command_name(env.cmd));
        return;
    }
    if (in_session_) received_bytes_ += env.body.size();
    if (events_.message) events_.message(env.cmd, env.body);
    acknowledge_if_due();
}

void dealer_link::acknowledge_if_due() {
    // A quarter of the window read since the last acknowledgement: the broker hears of it
    // now, long before the window is full, so that a reading peer is never held up.
    if (!in_session_ || session_.window_bytes == 0) return;
    if (received_bytes_ - acked_bytes_ >= session_.window_bytes / 4) send_heartbeat();
}

bool dealer_link::send_heartbeat() {
    heartbeat h;
    if (session_.window_bytes > 0) h.received = received_bytes_;
    if (!send(h)) return false;
    acked_bytes_ = received_bytes_;
    return true;
}

void dealer_link::end_session(std::string_view why) {
    const bool was_in_session = in_session_;
    in_session_ = false;
    if (was_in_session && events_.lost) events_.lost(why);
}

void dealer_link::schedule_reconnect() {
    backoff_s_ = backoff_s_ == 0 ? options_.reconnect_initial_s
                                 : std::min(backoff_s_ * 2, options_.reconnect_max_s);
    // Jitter in [0.5, 1.0) of the back-off: peers that lost the broker together do not all
    // come back in the same millisecond.
    const double delay = backoff_s_ * (0.5 + 0.5 * (jitter_() % 1000) / 1000.0);
    reconnect_timer_.cancel();
    reconnect_timer_ = loop_.call_later(delay, [this] {
        if (!closed_) open_socket();
    });
}

void dealer_link::reconnect_elsewhere(std::string_view why) {
    spdlog::info("shoal: broker {}: {}; trying the next", endpoint(), why);
    end_session(why);
    close_socket();
    next_endpoint();
    schedule_reconnect();
}

void dealer_link::next_endpoint() {
    current_ = (current_ + 1) % endpoints_.size();
    // Around the list: its names are asked again (brokers may have moved).
    if (current_ == 0 && endpoints_.size() + given_.size() > 2)
        endpoints_ = resolve_endpoints(given_);
}

void dealer_link::tick() {
    if (closed_) return;
    const double now = loop_.time();
    const double silence_limit = heartbeat_s() * session_.liveness;
    if (socket_ && now - last_heard_ > silence_limit) {
        spdlog::warn("shoal: broker {} silent for {:.1f} s; reconnecting", endpoint(),
                     now - last_heard_);
        end_session("the broker went silent");
        close_socket();
        next_endpoint();  // the next broker of the list, if any
        schedule_reconnect();
    } else if (socket_ && in_session_ &&
               (now - last_sent_ >= heartbeat_s() || received_bytes_ != acked_bytes_)) {
        // Silence filled; and whatever was read since the last acknowledgement told within a
        // tick, so that the broker's view of the window is never far behind.
        send_heartbeat();
    }
    const double interval = std::clamp(heartbeat_s() / 4, 0.005, 0.25);
    tick_timer_ = loop_.call_later(interval, [this] { tick(); });
}

}  // namespace shoal::proto
