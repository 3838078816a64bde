// Sessions: HELLO starts one, BYE / a new HELLO / silence past liveness ends one
// (PROTOCOL.md sections 5.1, 6 and 7).

#include <vector>

#include "broker_core.hpp"

namespace shoal::broker {

void broker_core::on_hello(std::string_view identity, peer* existing, peer_ref existing_ref,
                           std::string_view body) {
    proto::hello h = proto::decode<proto::hello>(body, limits_);
    const bool worker = h.role == proto::peer_role::worker;
    if (worker && h.worker.slots == 0) {
        // Refused before anything changes: an existing session goes on as it was.
        ++stats_.invalid_messages;
        send_error(identity, "bad_body", "HELLO: a worker needs at least one slot");
        return;
    }
    // A peer that says HELLO again restarted its side: whatever it held is re-queued.
    if (existing != nullptr) {
        ++stats_.repeated_hellos;
        end_session(existing_ref, "said HELLO again");
    }
    const peer_ref ref = peers_.add(identity, h.name, h.role, loop_.time());
    peer& p = *peers_.get(ref);
    if (worker) {
        p.worker.slots = h.worker.slots;
        p.worker.prefetch = h.worker.prefetch;
        p.worker.credit = credit_account(h.worker.slots, h.worker.prefetch);
        std::vector<name_id> names;
        names.reserve(h.worker.task_names.size());
        for (const std::string& n : h.worker.task_names) {
            names.push_back(queues_.task_names().intern(n));
        }
        peers_.set_offered(ref, std::move(names));
        spdlog::info("shoal-broker: worker '{}' joined: {} slots, prefetch {}, {} task names",
                     p.name, p.worker.slots, p.worker.prefetch, p.worker.offered.size());
    } else {
        spdlog::debug("shoal-broker: client '{}' joined", p.name);
    }
    proto::welcome w;
    w.heartbeat_ms = config_.heartbeat_ms;
    w.liveness = config_.liveness;
    w.max_message_bytes = config_.max_message_bytes;
    w.max_batch = config_.max_batch;
    send(p, w);
}

void broker_core::end_session(peer_ref ref, std::string_view why) {
    peer* p = peers_.get(ref);
    if (p == nullptr) return;
    if (p->role == proto::peer_role::worker) {
        spdlog::info("shoal-broker: worker '{}' left ({}), {} tasks in flight", p->name, why,
                     p->worker.credit.held());
        take_back_tasks_of(ref);
    } else {
        spdlog::debug("shoal-broker: client '{}' left ({})", p->name, why);
    }
    // Its gathered output is dropped with it; results stay in the store for FETCH.
    peers_.remove(ref);
}

void broker_core::take_back_tasks_of(peer_ref worker) {
    // Highest seq first: each push_front then leaves its lane in submission order.
    std::vector<inflight_task> held = inflight_.take_all_of(worker);
    for (inflight_task& t : held) {
        if (t.revoked) continue;  // its outcome, revoked, is stored already
        task_entry* entry = store_.find(t.task.id);
        if (entry == nullptr || entry->done) continue;
        lose_attempt(*entry, t.lane, std::move(t.task), "its worker died");
    }
}

void broker_core::check_peers(double now) {
    const double heartbeat_s = config_.heartbeat_ms / 1000.0;
    const double dead_after_s = heartbeat_s * config_.liveness;
    std::vector<peer_ref> dead;
    peers_.for_each([&](peer_ref ref, peer& p) {
        if (now - p.last_heard > dead_after_s) {
            dead.push_back(ref);
        } else if (now - p.last_sent >= heartbeat_s) {
            send(p, proto::heartbeat{});
        }
    });
    for (const peer_ref ref : dead) {
        const peer* p = peers_.get(ref);
        if (p == nullptr) continue;
        if (p->role == proto::peer_role::worker) {
            ++stats_.workers_dead;
        } else {
            ++stats_.clients_dead;
        }
        end_session(ref, fmt::format("silent for {:.0f} ms", (now - p->last_heard) * 1000.0));
    }
}

}  // namespace shoal::broker
