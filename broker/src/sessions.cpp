// Sessions: HELLO starts one, BYE / a new HELLO / silence past liveness ends one
// (PROTOCOL.md sections 5.1, 6 and 7).

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/ranges.h>

#include "broker_core.hpp"
#include "security/access_rules.hpp"

namespace shoal::broker {

void broker_core::on_hello(std::string_view identity, std::string_view user_id, peer* existing,
                           peer_ref existing_ref, std::string_view body) {
    proto::hello h = proto::decode<proto::hello>(body, limits_);
    const bool worker = h.role == proto::peer_role::worker;
    std::optional<key_role> key;
    if (!config_.secret_key.empty()) {
        principal who;
        (void)principal::parse(user_id, who);  // authorised() checked it
        if (const auto needed = role_needed_for_hello(who.role, h.role)) {
            forbid(identity, existing, proto::command::hello,
                   fmt::format("HELLO as a {} needs a {} key; this connection's key is {}",
                               worker ? "worker" : "client", to_string(*needed), user_id));
            return;
        }
        key = who.role;
    }
    if (h.minor < proto::oldest_served_minor) {
        // A minor-0 peer never acknowledges what it reads (the output window, PROTOCOL.md
        // 7.1): it would be cut off after its first window of output. Told why, at once.
        ++stats_.invalid_messages;
        send_error(identity, "bad_version",
                   fmt::format("this broker speaks SHOAL/1 minor {}; the peer said minor {}: "
                               "upgrade the client or worker",
                               proto::protocol_minor, h.minor));
        return;
    }
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
    p.software = std::move(h.software);
    p.user_id = std::string(user_id);
    p.key = key;
    p.owner = owner_of(p);
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
        peers_.set_consumed(ref, std::move(h.worker.queues));
        spdlog::info(
            "shoal-broker: worker '{}' ({}) joined: {} slots, prefetch {}, {} task names, queues "
            "{}",
            p.name, p.software.empty() ? "software unknown" : p.software, p.worker.slots,
            p.worker.prefetch, p.worker.offered.size(), fmt::join(p.worker.queues, ","));
        emit_worker("worker-online", p);
    } else {
        spdlog::debug("shoal-broker: client '{}' joined", p.name);
    }
    proto::welcome w;
    w.heartbeat_ms = config_.heartbeat_ms;
    w.liveness = config_.liveness;
    w.max_message_bytes = config_.max_message_bytes;
    w.max_batch = config_.max_batch;
    w.window_bytes = config_.window_bytes;
    send(p, w);
    p.sent_bytes = 0;  // the window counts what follows WELCOME
}

void broker_core::on_heartbeat(peer& p, std::string_view body) {
    const proto::heartbeat m = proto::decode<proto::heartbeat>(body, limits_);
    if (m.received) on_acknowledged(p, *m.received);
}

void broker_core::on_acknowledged(peer& p, std::uint64_t received) {
    // A count beyond what was sent is a confused (or hostile) peer: it acknowledges all.
    p.acked_bytes = std::max(p.acked_bytes, std::min(received, p.sent_bytes));
    if (p.output_dropped && p.unacked() <= config_.window_bytes / 2) {
        // It can read again: tell it once that something it waits for was dropped, so it asks
        // again now (FETCH) rather than at its own repair timer.
        p.output_dropped = false;
        proto::error_reply notice;
        notice.code = "output_dropped";
        notice.message =
            "messages to this peer were dropped while it did not read (output window "
            "full); ask again for what you wait on";
        send(p, notice);
    }
    if (!p.fetch_work.empty()) schedule_more_work();
    if (p.role == proto::peer_role::worker) dispatch_needed_ = true;
}

void broker_core::end_session(peer_ref ref, std::string_view why) {
    peer* p = peers_.get(ref);
    if (p == nullptr) return;
    if (p->role == proto::peer_role::worker) {
        spdlog::info("shoal-broker: worker '{}' left ({}), {} tasks in flight", p->name, why,
                     p->worker.credit.held());
        emit_worker("worker-offline", *p, why);
        take_back_tasks_of(ref, p->worker.slots);
    } else {
        spdlog::debug("shoal-broker: client '{}' left ({})", p->name, why);
    }
    // Its gathered output is dropped with it; results stay in the store for FETCH.
    peers_.remove(ref);
}

void broker_core::take_back_tasks_of(peer_ref worker, std::uint32_t slots) {
    // Highest seq first: each push_front then leaves its lane in submission order.
    std::vector<inflight_task> held = inflight_.take_all_of(worker);
    presume_started(held, slots);
    for (inflight_task& t : held) {
        if (t.revoked) continue;  // its outcome, revoked, is stored already
        task_entry* entry = store_.find(t.task.id);
        if (entry == nullptr || entry->done) continue;
        if (t.started) {
            lose_attempt(*entry, t.lane, std::move(t.task), "its worker died");
        } else {
            // Never started: the death was not its doing, and costs it nothing.
            ++stats_.deaths_spared;
            run_again(t.lane, std::move(t.task));
        }
    }
}

void broker_core::presume_started(std::vector<inflight_task>& held, std::uint32_t slots) {
    // A worker says what it starts at the end of each pass (STARTED): a task that kills it at
    // once may die before that leaves. It starts its tasks in the order they came, so of
    // those it was not heard to start, the earliest sent, up to its free slots, count as
    // started: a poison task still reaches the delivery limit, and what waited behind it does
    // not pay for it.
    std::size_t known = 0;
    for (const inflight_task& t : held) known += t.started ? 1 : 0;
    if (known >= slots) return;
    std::vector<inflight_task*> unknown;
    for (inflight_task& t : held) {
        if (!t.started && !t.revoked) unknown.push_back(&t);
    }
    std::sort(unknown.begin(), unknown.end(), [](const inflight_task* a, const inflight_task* b) {
        return a->dispatch_no < b->dispatch_no;
    });
    for (std::size_t i = 0; i < unknown.size() && known + i < slots; ++i)
        unknown[i]->started = true;
}

void broker_core::run_again(lane_id lane, queued_task&& q) {
    // A new attempt (a late DONE of the old one is told apart), first in its lane.
    ++q.attempt;
    ++stats_.requeued;
    queue_task(lane, std::move(q), true);
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
        // Whole milliseconds as an integer: formatting a double goes through fmt's buffer
        // with a vtable, and UBSan checks a vtable the first time it meets one with a pipe;
        // with every descriptor taken (ConnectionFlood) that check failed, was reported as an
        // invalid vptr and killed the broker under the sanitizer.
        const long long silent_ms = std::llround((now - p->last_heard) * 1000.0);
        end_session(ref, fmt::format("silent for {} ms", silent_ms));
    }
}

void broker_core::queue_task(lane_id lane, queued_task&& q, bool front) {
    q.enqueued_ms = loop_ms();
    if (front) {
        queues_.push_front(lane, std::move(q));
    } else {
        queues_.push_back(lane, std::move(q));
    }
    dispatch_needed_ = true;
}

}  // namespace shoal::broker
