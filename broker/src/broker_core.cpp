#include "broker_core.hpp"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

#include "inspect.hpp"
#include "shoal/broker/broker.hpp"

namespace shoal::broker {

namespace {

proto::decode_limits limits_for(const broker_config& c) {
    proto::decode_limits l;
    l.max_bytes = c.max_message_bytes;
    l.max_bin_bytes = c.max_message_bytes;
    return l;
}

// Results forgotten per pass: a burst that expires together does not hold the loop.
constexpr std::size_t expire_slice = 20'000;
// How often empty lanes, and names nobody uses, are freed (seconds).
constexpr double reclaim_interval_s = 10.0;

result_store_limits store_limits_for(const broker_config& c) {
    result_store_limits l;
    l.ttl_s = static_cast<double>(c.result_ttl_s);
    l.max_results = c.max_results;
    l.max_tombstones = c.max_tombstones;
    l.max_result_bytes = c.max_result_bytes;
    l.dedup_window_s = static_cast<double>(c.dedup_window_s);
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
      routes_(config_.task_routes),
      dispatcher_(queues_, inflight_, store_, rates_) {
    (void)owners_.intern("");  // owner 0: nobody (an open broker's peers and tasks)
    scheduler_.name = "periodic";
    for (const rate_limit_spec& spec : parse_rate_limits(config_.rate_limits)) {
        rates_.set(queues_.task_names().intern(spec.name), spec.per_second);
    }
}

broker_core::~broker_core() { close(); }

std::string broker_core::bind() {
    if (port_ != nullptr) throw broker_error("broker: already bound to " + endpoint_);
    // With Redis, what it holds is recovered before anyone can connect (a standby's, once it
    // takes the lease).
    if (!config_.redis.empty() && !durable_ && config_.ha_lease_ms == 0) open_durable();
    if (context_ == nullptr) {
        own_context_ = std::make_unique<zmq::context_t>(1);
        context_ = own_context_.get();
    }
    auto router = std::make_unique<router_port>(*context_);
    open_security(*router);
    try {
        endpoint_ = router->bind(config_.bind);
    } catch (const zmq::error_t& e) {
        throw broker_error(fmt::format("cannot bind {}: {}", config_.bind, e.what()));
    }
    router_ = std::move(router);
    port_ = router_.get();
    loop_.add_zmq_reader(router_->handle(), [this] { on_readable(); });
    if (config_.ha_lease_ms > 0) {
        start_standby();
    } else {
        start_serving();
    }
    start_http();
    return endpoint_;
}

void broker_core::attach(message_port& port) {
    if (port_ != nullptr) throw broker_error("broker: already serving " + endpoint_);
    if (!config_.redis.empty() && !durable_) open_durable();
    endpoint_ = "attached";
    port_ = &port;
    start_serving();
}

void broker_core::start_serving() {
    schedule_tick();
    start_periodic();
    spdlog::info("shoal-broker: listening on {} (heartbeat {} ms, liveness {}, result ttl {} s)",
                 endpoint_, config_.heartbeat_ms, config_.liveness, config_.result_ttl_s);
}

void broker_core::deliver(std::span<const proto::received_message> messages) {
    if (port_ == nullptr) return;
    for (const proto::received_message& m : messages) handle(m);
    end_of_wakeup();
}

void broker_core::close() {
    if (port_ == nullptr) return;
    std::vector<peer_ref> everyone;
    // Best effort: peers that are gone already are not worth a warning.
    const std::string bye = proto::encode(proto::bye{"broker closing"});
    peers_.for_each([&](peer_ref ref, peer& p) {
        (void)port_->send(p.identity, proto::command::bye, bye);
        everyone.push_back(ref);
    });
    tick_timer_.cancel();
    standby_timer_.cancel();
    standby_redis_.reset();
    presence_timer_.cancel();
    lease_.reset();
    control_timer_.cancel();
    periodic_timer_.cancel();
    if (http_) http_->stop();
    if (durable_) durable_->stop();
    if (router_) {
        loop_.remove_zmq_reader(router_->handle());
        // A moment for the BYEs to leave; peers that do not read are not waited for longer.
        router_->close(100);
        router_.reset();
    }
    zap_.reset();
    port_ = nullptr;
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
    if (port_ == nullptr) return;
    schedule_tick();  // first: whatever happens below, the broker keeps ticking
    // Messages already waiting in our socket are signs of life too: read them before judging
    // liveness, so that a busy stretch of ours never declares a live peer dead.
    drain();
    check_peers(loop_.time());
    count_authentications();
    stats_.expired += store_.expire(expire_slice);
    if (store_.more_to_expire()) schedule_more_work();
    if (loop_.time() >= next_reclaim_at_) reclaim_names();
    if (events_.active() && loop_.time() >= next_worker_heartbeats_at_) {
        next_worker_heartbeats_at_ = loop_.time() + config_.heartbeat_ms / 1000.0;
        for (const std::uint32_t slot : peers_.worker_slots()) {
            if (const peer* w = peers_.get(peers_.ref_of(slot)))
                emit_worker("worker-heartbeat", *w);
        }
    }
    end_of_wakeup();
}

void broker_core::reclaim_names() {
    next_reclaim_at_ = loop_.time() + reclaim_interval_s;
    // Lanes that tasks outside the queues will come back to stay.
    std::vector<bool> in_use(queues_.lane_count(), false);
    inflight_.for_each([&](const inflight_task& t) { in_use[t.lane] = true; });
    delayed_.for_each([&](double, lane_id lane, const queued_task&) { in_use[lane] = true; });
    dead_.for_each([&](const dead_letter& d) { in_use[d.lane] = true; });
    inputs_.for_each([&](const proto::task_id&, const waiting_task& t) { in_use[t.lane] = true; });
    const std::size_t freed = queues_.reclaim(
        in_use, [this](name_id n) { return peers_.offers(n) > 0 || rates_.limited(n); });
    if (freed > 0) {
        name_counts_.forget_ids();  // a freed name's id may be given to another name
        spdlog::debug(
            "shoal-broker: {} empty lanes freed; {} lanes, {} task names, {} queue names in use",
            freed, queues_.live_lane_count(), queues_.task_names().size(),
            queues_.queue_names().size());
    }
}

void broker_core::schedule_more_work() {
    if (more_work_scheduled_) return;
    more_work_scheduled_ = true;
    loop_.call_soon([this] { on_more_work(); });
}

void broker_core::on_more_work() {
    more_work_scheduled_ = false;
    if (port_ == nullptr) return;
    if (store_.more_to_expire()) {
        stats_.expired += store_.expire(expire_slice);
        if (store_.more_to_expire()) schedule_more_work();
    }
    end_of_wakeup();  // serves the next slice of FETCH answers
}

void broker_core::on_readable() {
    drain();
    end_of_wakeup();
}

void broker_core::drain() {
    // A bounded number of messages, then the caller answers in batches: one DISPATCH per
    // worker and one RESULT per client for the whole wake-up. The loop polls level-triggered,
    // so what is left is read on the next pass, after timers had their turn.
    for (std::uint32_t i = 0; i < config_.drain_max && router_; ++i) {
        std::optional<proto::received_message> msg;
        try {
            msg = router_->receive();
        } catch (const zmq::error_t& e) {
            log_limited("receive", "receive failed: {}", e.what());
            break;
        }
        if (!msg) break;
        handle(*msg);
    }
}

void broker_core::end_of_wakeup() {
    if (port_ == nullptr) return;
    if (durable_) write_submits();
    serve_purges();
    dispatch_all();
    serve_fetches();
    flush();
    publish_events();
    // After the submit script: a task revoked in this wake-up has its result stored after
    // its record.
    if (durable_) durable_->flush();
}

void broker_core::handle(const proto::received_message& msg) {
    if (standby_) return answer_standby(msg);
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
    if (!config_.secret_key.empty() && !authorised(msg, env.cmd, p, ref)) return;
    try {
        route(env.cmd, env.body, msg.identity, msg.user_id, p, ref);
    } catch (const proto::decode_error& e) {
        // Handlers decode before they change anything: a bad body leaves no trace.
        ++stats_.invalid_messages;
        log_limited(proto::to_string(e.code()), "dropped an invalid {} from {}: {}",
                    proto::command_name(env.cmd), describe(msg.identity, p), e.what());
        send_error(msg.identity, proto::to_string(e.code()), e.what());
    } catch (const std::exception& e) {
        // A bug of ours, or memory exhausted: say so loudly, and keep serving everyone else.
        spdlog::error("shoal-broker: error handling {} from {}: {}", proto::command_name(env.cmd),
                      describe(msg.identity, p), e.what());
    }
}

void broker_core::route(proto::command cmd, std::string_view body, std::string_view identity,
                        std::string_view user_id, peer* p, peer_ref ref) {
    using proto::command;
    switch (cmd) {
        case command::hello:
            on_hello(identity, user_id, p, ref, body);
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
            return on_heartbeat(*p, body);
        case command::submit:
            if (client) return on_submit(ref, *p, body);
            break;
        case command::fetch:
            if (client) return on_fetch(ref, *p, body);
            break;
        case command::revoke:
            if (client) return on_revoke(*p, body);
            break;
        case command::requeue:
            if (client) return on_requeue(*p, body);
            break;
        case command::purge:
            if (client) return on_purge(ref, *p, body);
            break;
        case command::inspect:
            if (client) return on_inspect(identity, *p, body);
            break;
        case command::admin:
            if (client) return on_admin(identity, *p, body);
            break;
        case command::subscribe:
            if (client) return on_subscribe(ref, *p, body);
            break;
        case command::ready:
            if (!client) return on_ready(*p, body);
            break;
        case command::done:
            if (!client) return on_done(*p, body);
            break;
        case command::started:
            if (!client) return on_started(*p, body);
            break;
        case command::drain:
            if (!client) return on_drain(ref, *p, body);
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
    if (port_ == nullptr) return false;
    if (&p == &scheduler_) return true;  // the periodic tasks' submitter reads nothing
    p.last_sent = loop_.time();
    if (port_->send(p.identity, cmd, body)) {
        p.sent_bytes += body.size();
        return true;
    }
    ++stats_.undelivered;
    log_limited("undelivered", "could not send {} to {} (gone, or not reading)",
                proto::command_name(cmd), describe(p.identity, &p));
    return false;
}

void broker_core::send_error(std::string_view identity, std::string_view code,
                             const std::string& message, std::optional<proto::task_id> related,
                             std::optional<proto::command> answers) {
    if (port_ == nullptr || identity.empty()) return;
    proto::error_reply e;
    e.code = std::string(code);
    e.message = message;
    e.related = related;
    e.answers = answers;
    const std::string body = proto::encode(e);
    if (!port_->send(identity, proto::command::error, body)) {
        ++stats_.undelivered;
    } else if (peer* p = peers_.find(identity)) {
        p->sent_bytes += body.size();  // the peer counts it too
    }
}

bool broker_core::fits_window(const peer& p, std::size_t bytes) const noexcept {
    // A message larger than the whole window still goes, alone.
    return p.unacked() == 0 || p.unacked() + bytes <= config_.window_bytes;
}

bool broker_core::send_windowed(peer& p, proto::command cmd, std::string_view body) {
    if (!fits_window(p, body.size())) {
        ++stats_.output_dropped;
        p.output_dropped = true;
        log_limited("window", "dropped a {} of {} bytes to {}: {} bytes unacknowledged (window {})",
                    proto::command_name(cmd), body.size(), describe(p.identity, &p), p.unacked(),
                    config_.window_bytes);
        return false;
    }
    return send_raw(p, cmd, body);
}

std::string broker_core::describe(std::string_view identity, const peer* p) const {
    if (p != nullptr) {
        return fmt::format("{} '{}' ({})",
                           p->role == proto::peer_role::worker ? "worker" : "client", p->name,
                           to_hex(identity));
    }
    return fmt::format("unregistered peer {}", to_hex(identity));
}

std::size_t broker_core::message_budget() const noexcept {
    // Room for the envelope and array headers around the entries we count.
    return config_.max_message_bytes - 1024;
}

}  // namespace shoal::broker
