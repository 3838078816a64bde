// The event stream (PROTOCOL.md section 6.4): SUBSCRIBE, and the events the broker tells its
// subscribers, with Celery's names and fields (task-sent ... worker-offline). Every emit_
// returns at once while nobody subscribes, so the stream costs nothing unless it is watched.

#include <algorithm>

#include "broker_core.hpp"

namespace shoal::broker {

namespace {

double seconds(std::uint64_t ms) { return static_cast<double>(ms) / 1000.0; }

// Celery's `exception` text: "type: message".
std::string exception_text(const proto::error_info& e) {
    return e.message.empty() ? e.type : fmt::format("{}: {}", e.type, e.message);
}

}  // namespace

void broker_core::on_subscribe(peer_ref ref, peer& p, std::string_view body) {
    const proto::subscribe m = proto::decode<proto::subscribe>(body, limits_);
    if (m.on) {
        if (events_.subscribe(ref)) {
            spdlog::info("shoal-broker: {} subscribed to events", describe(p.identity, &p));
        }
    } else {
        events_.unsubscribe(ref);
    }
    stats_.event_subscribers = events_.subscribers();
}

void broker_core::publish_events() {
    event_time_ = -1;
    if (!events_.active()) return;
    events_.publish(message_budget(), config_.max_batch,
                    [this](peer_ref ref, std::string_view body, bool& gone) {
                        peer* p = peers_.get(ref);
                        if (p == nullptr) {
                            gone = true;
                            return false;
                        }
                        // Within its window only: a subscriber that does not read misses
                        // events (counted, and told in its next EVENTS), nobody else waits.
                        if (!fits_window(*p, body.size())) return false;
                        return send_raw(*p, proto::command::events, body);
                    });
    stats_.event_subscribers = events_.subscribers();
    stats_.events_published = events_.published();
    stats_.events_dropped = events_.dropped();
}

double broker_core::event_time() {
    // Read once per wake-up (the wall clock has ms resolution here anyway); the clock field
    // orders the events of one wake-up.
    if (event_time_ < 0) event_time_ = seconds(wall_ms_());
    return event_time_;
}

void broker_core::begin_task_event(std::string_view type, const proto::task_id& id,
                                   std::optional<lane_id> lane) {
    events_.begin(type, event_time());
    events_.field_id(id);
    if (lane && *lane < queues_.lane_count()) {
        events_.field("name", queues_.task_names().name(queues_.at(*lane).name));
    }
}

void broker_core::emit_sent(const proto::task_id& id, std::string_view name, std::string_view queue,
                            std::string_view args, const admission& a, peer_ref client) {
    if (!events_.active()) return;
    begin_task_event("task-sent", id, std::nullopt);
    events_.field("name", name);
    events_.field("queue", queue);
    events_.field_payload("args", "args_bytes", args);
    events_.field("priority", std::uint64_t{a.priority});
    if (a.eta_ms) events_.field("eta", seconds(*a.eta_ms));
    if (a.countdown_ms) events_.field("countdown", seconds(*a.countdown_ms));
    if (a.expires_ms) events_.field("expires", seconds(*a.expires_ms));
    if (const peer* c = peers_.get(client)) events_.field("client", c->name);
    events_.end();
}

void broker_core::emit_rejected(const proto::task_id& id, std::string_view name,
                                const proto::error_info& why) {
    if (!events_.active()) return;
    begin_task_event("task-rejected", id, std::nullopt);
    if (!name.empty()) events_.field("name", name);
    events_.field("reason", why.type);
    events_.field("message", why.message);
    events_.end();
}

void broker_core::emit_received(const inflight_task& t, const peer& worker) {
    if (!events_.active()) return;
    begin_task_event("task-received", t.task.id, t.lane);
    events_.field("hostname", worker.name);
    events_.field("attempt", std::uint64_t{t.task.attempt});
    events_.field("retries", std::uint64_t{t.task.retries});
    events_.end();
}

void broker_core::emit_started(const proto::task_id& id, lane_id lane, std::uint32_t attempt,
                               const peer& worker) {
    if (!events_.active()) return;
    begin_task_event("task-started", id, lane);
    events_.field("hostname", worker.name);
    events_.field("attempt", std::uint64_t{attempt});
    events_.end();
}

void broker_core::emit_finished(const proto::task_id& id, const task_entry& entry,
                                const proto::outcome& o, const ran_on& ran) {
    if (!events_.active()) return;
    const std::optional<lane_id> lane =
        entry.has_lane ? std::optional<lane_id>(entry.lane) : std::nullopt;
    switch (o.status) {
        case proto::task_status::ok:
            begin_task_event("task-succeeded", id, lane);
            events_.field_payload("result", "result_bytes", o.payload);
            break;
        case proto::task_status::failed:
        case proto::task_status::lost:
            begin_task_event("task-failed", id, lane);
            events_.field("exception", exception_text(o.error));
            events_.field("exception_type", o.error.type);
            // C++ has no traceback: the message is what the worker knew of where it failed.
            events_.field("traceback", o.error.message);
            if (o.status == proto::task_status::lost) events_.field("lost", true);
            break;
        case proto::task_status::revoked:
            begin_task_event("task-revoked", id, lane);
            events_.field("terminated", o.error.type == "terminated");
            events_.field("expired", false);
            events_.field("reason", o.error.message);
            break;
        case proto::task_status::expired:
            begin_task_event("task-expired", id, lane);
            events_.field("reason", o.error.message);
            break;
        case proto::task_status::unknown_task:
            begin_task_event("task-rejected", id, lane);
            events_.field("reason", "unknown_task");
            events_.field("message", o.error.message);
            break;
    }
    if (ran.runtime_s) events_.field("runtime", *ran.runtime_s);
    if (!ran.worker.empty()) {
        events_.field("hostname", ran.worker);
    } else if (!o.error.where.empty() && o.error.where != "broker") {
        events_.field("hostname", o.error.where);
    }
    events_.end();
}

void broker_core::emit_retried(const proto::task_id& id, lane_id lane,
                               const proto::error_info& error, std::uint32_t retries,
                               double countdown_s) {
    if (!events_.active()) return;
    begin_task_event("task-retried", id, lane);
    events_.field("exception", exception_text(error));
    events_.field("exception_type", error.type);
    events_.field("traceback", error.message);
    if (!error.where.empty()) events_.field("hostname", error.where);
    events_.field("retries", std::uint64_t{retries});
    events_.field("countdown", countdown_s);
    events_.end();
}

void broker_core::emit_dead_lettered(const proto::task_id& id, lane_id lane,
                                     std::string_view reason, std::uint32_t deaths) {
    if (!events_.active()) return;
    begin_task_event("task-dead-lettered", id, lane);
    events_.field("reason", reason);
    events_.field("deaths", std::uint64_t{deaths});
    events_.end();
}

void broker_core::emit_worker(std::string_view type, const peer& worker, std::string_view reason) {
    if (!events_.active()) return;
    events_.begin(type, event_time());
    events_.field("hostname", worker.name);
    events_.field("sw_ident", "shoal");
    events_.field("sw_ver", worker.software.empty() ? std::string_view("unknown")
                                                    : std::string_view(worker.software));
    events_.field("freq", static_cast<double>(config_.heartbeat_ms) / 1000.0);
    const std::uint64_t active = worker.worker.credit.held();
    events_.field("active", active);
    events_.field("processed", worker.worker.done);
    events_.field("slots", std::uint64_t{worker.worker.slots});
    // Celery's loadavg is the host's; a broker knows the slots in use, so that is the load.
    events_.field("load", worker.worker.slots == 0 ? 0.0
                                                   : static_cast<double>(active) /
                                                         static_cast<double>(worker.worker.slots));
    if (!reason.empty()) events_.field("reason", reason);
    events_.end();
}

}  // namespace shoal::broker
