#include "broker_core.hpp"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

#include "shoal/broker/broker.hpp"
#include "shoal/broker/inspect.hpp"

namespace shoal::broker {

namespace {

proto::decode_limits limits_for(const broker_config& c) {
    proto::decode_limits l;
    l.max_bytes = c.max_message_bytes;
    l.max_bin_bytes = c.max_message_bytes;
    return l;
}

result_store_limits store_limits_for(const broker_config& c) {
    result_store_limits l;
    l.ttl_s = static_cast<double>(c.result_ttl_s);
    l.max_results = c.max_results;
    l.max_tombstones = c.max_tombstones;
    return l;
}

}  // namespace

broker_core::broker_core(event_loop& loop, broker_config config, zmq::context_t* shared_context)
    : loop_(loop),
      config_(std::move(config)),
      limits_(limits_for(config_)),
      context_(shared_context),
      clock_(loop),
      store_(clock_, store_limits_for(config_)),
      dispatcher_(queues_, inflight_, store_, rates_) {
    for (const rate_limit_spec& spec : parse_rate_limits(config_.rate_limits)) {
        rates_.set(queues_.task_names().intern(spec.name), spec.per_second);
    }
    if (context_ == nullptr) {
        own_context_ = std::make_unique<zmq::context_t>(1);
        context_ = own_context_.get();
    }
}

broker_core::~broker_core() { close(); }

std::string broker_core::bind() {
    if (socket_) throw broker_error("broker: already bound to " + endpoint_);
    // With Redis, what it holds is recovered before anyone can connect.
    if (!config_.redis.empty() && !durable_) open_durable();
    auto socket = std::make_unique<zmq::socket_t>(*context_, zmq::socket_type::router);
    proto::configure_socket(*socket);
    // Sending to a peer that is gone fails instead of vanishing silently: counted, logged.
    socket->set(zmq::sockopt::router_mandatory, 1);
    try {
        socket->bind(config_.bind);
    } catch (const zmq::error_t& e) {
        throw broker_error(fmt::format("cannot bind {}: {}", config_.bind, e.what()));
    }
    endpoint_ = socket->get(zmq::sockopt::last_endpoint);
    socket_ = std::move(socket);
    loop_.add_zmq_reader(socket_->handle(), [this] { on_readable(); });
    schedule_tick();
    spdlog::info("shoal-broker: listening on {} (heartbeat {} ms, liveness {}, result ttl {} s)",
                 endpoint_, config_.heartbeat_ms, config_.liveness, config_.result_ttl_s);
    return endpoint_;
}

void broker_core::close() {
    if (!socket_) return;
    std::vector<peer_ref> everyone;
    // Best effort: peers that are gone already are not worth a warning.
    const std::string bye = proto::encode(proto::bye{"broker closing"});
    peers_.for_each([&](peer_ref ref, peer& p) {
        (void)proto::send_routed(*socket_, p.identity, proto::command::bye, bye);
        everyone.push_back(ref);
    });
    loop_.remove_zmq_reader(socket_->handle());
    tick_timer_.cancel();
    control_timer_.cancel();
    if (durable_) durable_->stop();
    // A moment for the BYEs to leave; peers that do not read are not waited for longer.
    socket_->set(zmq::sockopt::linger, 100);
    socket_->close();
    socket_.reset();
    spdlog::info("shoal-broker: closed {} ({} sessions, {} tasks queued, {} running)", endpoint_,
                 everyone.size(), queues_.live_total(), inflight_.size());
}

void broker_core::schedule_tick() {
    // One periodic tick for every peer's timers: a quarter heartbeat keeps heartbeats and
    // liveness within 25% of their nominal times.
    const double period = config_.heartbeat_ms / 4000.0;
    tick_timer_ = loop_.call_later(period, [this] { tick(); });
}

void broker_core::tick() {
    if (!socket_) return;
    schedule_tick();  // first: whatever happens below, the broker keeps ticking
    // Messages already waiting in our socket are signs of life too: read them before judging
    // liveness, so that a busy stretch of ours never declares a live peer dead.
    drain();
    check_peers(loop_.time());
    stats_.expired += store_.expire();
    end_of_wakeup();
}

void broker_core::on_readable() {
    drain();
    end_of_wakeup();
}

void broker_core::drain() {
    // A bounded number of messages, then the caller answers in batches: one DISPATCH per
    // worker and one RESULT per client for the whole wake-up. The loop polls level-triggered,
    // so what is left is read on the next pass, after timers had their turn.
    for (std::uint32_t i = 0; i < config_.drain_max && socket_; ++i) {
        std::optional<proto::received_message> msg;
        try {
            msg = proto::receive(*socket_, true);
        } catch (const zmq::error_t& e) {
            log_limited("receive", "receive failed: {}", e.what());
            break;
        }
        if (!msg) break;
        handle(*msg);
    }
}

void broker_core::end_of_wakeup() {
    if (!socket_) return;
    if (durable_) write_submits();
    dispatch_all();
    flush();
    // After the submit script: a task revoked in this wake-up has its result stored after
    // its record.
    if (durable_) durable_->flush();
}

void broker_core::handle(const proto::received_message& msg) {
    peer_ref ref;
    peer* p = peers_.find(msg.identity, &ref);
    if (p != nullptr) p->last_heard = loop_.time();  // any message is a sign of life
    proto::envelope env{};
    try {
        env = msg.parse(limits_);
    } catch (const proto::decode_error& e) {
        ++stats_.invalid_messages;
        log_limited(proto::to_string(e.code()), "dropped an invalid message from {}: {}: {}",
                    describe(msg.identity, p), proto::to_string(e.code()), e.what());
        if (!msg.identity.empty()) send_error(msg.identity, proto::to_string(e.code()), e.what());
        return;
    }
    try {
        route(env.cmd, env.body, msg.identity, p, ref);
    } catch (const proto::decode_error& e) {
        // Handlers decode before they change anything: a bad body leaves no trace.
        ++stats_.invalid_messages;
        log_limited(proto::to_string(e.code()), "dropped an invalid {} from {}: {}",
                    proto::command_name(env.cmd), describe(msg.identity, p), e.what());
        send_error(msg.identity, proto::to_string(e.code()), e.what());
    } catch (const std::exception& e) {
        // A bug of ours, or memory exhausted: say so loudly, and keep serving everyone else.
        spdlog::error("shoal-broker: error handling {} from {}: {}",
                      proto::command_name(env.cmd), describe(msg.identity, p), e.what());
    }
}

void broker_core::route(proto::command cmd, std::string_view body, std::string_view identity,
                        peer* p, peer_ref ref) {
    using proto::command;
    switch (cmd) {
    case command::hello:
        on_hello(identity, p, ref, body);
        return;
    case command::bye:
        if (p != nullptr) end_session(ref, "said BYE");
        return;
    case command::error: {
        const auto e = proto::decode<proto::error_reply>(body, limits_);
        log_limited("peer_error", "{} reported ERROR {}: {}", describe(identity, p), e.code,
                    e.message);
        return;
    }
    default:
        break;
    }
    if (p == nullptr) {
        reject(identity, p, "not_registered",
               fmt::format("{} before HELLO (or after this broker forgot the session)",
                           proto::command_name(cmd)));
        return;
    }
    const bool client = p->role == proto::peer_role::client;
    switch (cmd) {
    case command::heartbeat:
        (void)proto::decode<proto::heartbeat>(body, limits_);
        return;
    case command::submit:
        if (client) return on_submit(ref, *p, body);
        break;
    case command::fetch:
        if (client) return on_fetch(ref, *p, body);
        break;
    case command::revoke:
        if (client) return on_revoke(body);
        break;
    case command::requeue:
        if (client) return on_requeue(*p, body);
        break;
    case command::purge:
        if (client) return on_purge(*p, body);
        break;
    case command::inspect:
        if (client) return on_inspect(identity, *p, body);
        break;
    case command::ready:
        if (!client) return on_ready(*p, body);
        break;
    case command::done:
        if (!client) return on_done(*p, body);
        break;
    default:
        break;
    }
    reject(identity, p, "unexpected",
           fmt::format("{} is not something a {} sends to the broker", proto::command_name(cmd),
                       client ? "client" : "worker"));
}

void broker_core::reject(std::string_view identity, const peer* p, std::string_view code,
                         const std::string& why) {
    ++stats_.unexpected_messages;
    log_limited(code, "ERROR {} to {}: {}", code, describe(identity, p), why);
    send_error(identity, code, why);
}

bool broker_core::send_raw(peer& p, proto::command cmd, std::string_view body) {
    if (!socket_) return false;
    p.last_sent = loop_.time();
    if (proto::send_routed(*socket_, p.identity, cmd, body)) return true;
    ++stats_.undelivered;
    log_limited("undelivered", "could not send {} to {} (gone, or not reading)",
                proto::command_name(cmd), describe(p.identity, &p));
    return false;
}

void broker_core::send_error(std::string_view identity, std::string_view code,
                             const std::string& message, std::optional<proto::task_id> related) {
    if (!socket_ || identity.empty()) return;
    proto::error_reply e;
    e.code = std::string(code);
    e.message = message;
    e.related = related;
    if (!proto::send_routed(*socket_, identity, proto::command::error, proto::encode(e))) {
        ++stats_.undelivered;
    }
}

std::string broker_core::describe(std::string_view identity, const peer* p) const {
    if (p != nullptr) {
        return fmt::format("{} '{}' ({})", p->role == proto::peer_role::worker ? "worker" : "client",
                           p->name, to_hex(identity));
    }
    return fmt::format("unregistered peer {}", to_hex(identity));
}

std::size_t broker_core::message_budget() const noexcept {
    // Room for the envelope and array headers around the entries we count.
    return config_.max_message_bytes - 1024;
}

}  // namespace shoal::broker
