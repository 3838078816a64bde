// A client's commands: SUBMIT, FETCH, REVOKE, PURGE, INSPECT (PROTOCOL.md sections 4, 5, 8).

#include "broker_core.hpp"
#include "shoal/broker/inspect.hpp"
#include "submit_rules.hpp"

namespace shoal::broker {

void broker_core::on_submit(peer_ref ref, peer& p, std::string_view body) {
    proto::submit m = proto::decode<proto::submit>(body, limits_);
    proto::accepted reply;
    reply.refused = std::move(m.malformed);  // what the codec could not read, per task
    if (durable_) return submit_durably(ref, m, std::move(reply));
    reply.ids.reserve(m.tasks.size());
    for (proto::submitted_task& t : m.tasks) accept_task(ref, t, reply);
    stats_.refused += reply.refused.size();
    send(p, reply);
}

std::optional<proto::refusal> broker_core::refusal_for(const proto::submitted_task& t) const {
    if (bad_name(t.name)) return refuse(t.id, "bad_task", "name: must be 1..255 bytes");
    if (bad_name(t.queue)) return refuse(t.id, "bad_task", "queue: must be 1..255 bytes");
    if (t.options.time_limit_ms && *t.options.time_limit_ms == 0) {
        return refuse(t.id, "bad_task", "time_limit_ms: must be positive");
    }
    if (t.options.soft_time_limit_ms && *t.options.soft_time_limit_ms == 0) {
        return refuse(t.id, "bad_task", "soft_time_limit_ms: must be positive");
    }
    return std::nullopt;
}

void broker_core::accept_task(peer_ref ref, proto::submitted_task& t, proto::accepted& reply) {
    if (auto refusal = refusal_for(t)) {
        reply.refused.push_back(std::move(*refusal));
        return;
    }
    const std::uint64_t hash = body_hash(t);
    auto [entry, fresh] = store_.add_pending(t.id);
    if (!fresh) {
        if (entry->body_hash != hash) {
            reply.refused.push_back(refuse(t.id, "conflict",
                                           "this task id was already submitted with another body"));
            return;
        }
        accept_duplicate(ref, t.id, *entry, reply);
        return;
    }
    entry->body_hash = hash;
    entry->recipient = ref;
    reply.ids.push_back(t.id);
    ++stats_.submitted;
    if (fail_if_unknown_name(t.id, *entry, t.name)) return;
    entry->seq = next_seq_++;
    enqueue(*entry, t.queue, t.name, queued_from(t), admission_of(t.options));
}

void broker_core::accept_duplicate(peer_ref ref, const proto::task_id& id, task_entry& entry,
                                   proto::accepted& reply) {
    // The same task again (a SUBMIT repeated after a lost ACCEPTED): accepted, not run
    // again, and this client hears the result too.
    ++stats_.duplicates;
    reply.ids.push_back(id);
    if (entry.done) {
        push_result(ref, result_store::outcome_of(id, entry));
    } else if (entry.recipient != ref) {
        watch(id, ref);
    }
}

bool broker_core::fail_if_unknown_name(const proto::task_id& id, task_entry& entry,
                                       std::string_view name) {
    // A name no registered worker offers fails at once; with no worker at all, the task
    // waits (the workers may simply not have started yet).
    if (peers_.worker_count() == 0) return false;
    const auto known = queues_.task_names().find(name);
    if (known && peers_.offers(*known) > 0) return false;
    ++stats_.unknown_task;
    finish_by_broker(id, entry, proto::task_status::unknown_task, "unknown_task",
                     fmt::format("no worker offers task '{}'", name));
    return true;
}

void broker_core::on_fetch(peer_ref ref, peer& p, std::string_view body) {
    const proto::fetch m = proto::decode<proto::fetch>(body, limits_);
    // Answered in as many FETCHED messages as the results' size needs.
    proto::fetched reply;
    std::size_t bytes = 0;
    std::vector<proto::fetched_entry> ask_redis;  // not known here (any more)
    for (const proto::task_id& id : m.ids) {
        proto::fetched_entry e = store_.fetch(id);
        if (durable_ && (e.state == proto::result_state::unknown ||
                         e.state == proto::result_state::expired)) {
            ask_redis.push_back(std::move(e));
            continue;
        }
        if (e.state == proto::result_state::pending) {
            // Whoever asks about a pending task is told its result when it comes: a client
            // that reconnected (new identity) is served without polling.
            const task_entry* entry = store_.find(id);
            if (entry != nullptr && entry->recipient != ref) watch(id, ref);
        }
        std::size_t size = 64;
        if (e.result) {
            size += e.result->payload.size() + e.result->error.message.size() +
                    e.result->error.type.size() + e.result->error.where.size();
        }
        if (!reply.entries.empty() &&
            (bytes + size > message_budget() || reply.entries.size() >= config_.max_batch)) {
            send(p, reply);
            reply.entries.clear();
            bytes = 0;
        }
        bytes += size;
        reply.entries.push_back(std::move(e));
    }
    if (!reply.entries.empty() || ask_redis.empty()) send(p, reply);
    if (!ask_redis.empty()) fetch_from_redis(ref, std::move(ask_redis));
}

void broker_core::on_revoke(std::string_view body) {
    const proto::revoke m = proto::decode<proto::revoke>(body, limits_);
    for (const proto::task_id& id : m.ids) revoke_task(id, m.terminate);
}

void broker_core::revoke_task(const proto::task_id& id, bool terminate) {
    task_entry* entry = store_.find(id);
    if (entry == nullptr || entry->done) return;  // unknown, or over already: nothing to stop
    if (entry->awaiting_write) {
        // Not queued yet (Redis is storing it): it will not be, once its write is answered.
        ++stats_.revoked;
        finish_by_broker(id, *entry, proto::task_status::revoked, "revoked", "revoked by a client");
        return;
    }
    if (inflight_task* running = inflight_.find(id)) {
        // The worker is told to stop; it still reports the task in DONE, which is ignored.
        running->revoked = true;
        if (peer* w = peers_.get(running->worker)) {
            (terminate ? w->terminates_out : w->cancels_out).push_back(id);
            queue_flush(running->worker, *w);
        }
    } else if (!entry->held) {
        queues_.mark_stale(entry->lane);  // dropped when it reaches the head of its lane
    }  // a held task (countdown, retry wait) is dropped when its time comes
    ++stats_.revoked;
    finish_by_broker(id, *entry, proto::task_status::revoked, "revoked", "revoked by a client");
}

void broker_core::on_purge(peer& p, std::string_view body) {
    const proto::purge m = proto::decode<proto::purge>(body, limits_);
    std::uint64_t count = 0;
    if (const auto queue = queues_.queue_names().find(m.queue)) {
        // Every purged task ends revoked, told and stored: nothing silently lost.
        std::vector<proto::task_id> purged_ids;
        count = queues_.drain_queue(
            *queue, [this](const queued_task& t) { return dispatcher_.is_live(t); },
            [&](lane_id, queued_task&& t) { purged_ids.push_back(t.id); });
        for (const proto::task_id& id : purged_ids) {
            if (task_entry* entry = store_.find(id); entry != nullptr && !entry->done) {
                finish_by_broker(id, *entry, proto::task_status::revoked, "revoked",
                                 fmt::format("queue '{}' purged", m.queue));
            }
        }
        stats_.revoked += count;
        spdlog::info("shoal-broker: client '{}' purged queue '{}': {} tasks", p.name, m.queue, count);
    }
    send(p, proto::purged{m.queue, count});
}

void broker_core::on_inspect(std::string_view identity, peer& p, std::string_view body) {
    const proto::inspect m = proto::decode<proto::inspect>(body, limits_);
    inspect_sources from{peers_, queues_, inflight_, store_, stats_, dead_, rates_};
    from.held = delayed_.size();
    from.now = loop_.time();
    from.max_rows = config_.max_batch;
    from.redis_state = redis_state();
    if (durable_) from.results_unwritten = durable_->unwritten_results();
    std::optional<proto::report> report = build_report(m.what, from);
    if (!report) {
        ++stats_.invalid_messages;
        send_error(identity, "bad_body",
                   fmt::format("INSPECT: unknown '{}' (workers, queues, active, dead, limits or stats)",
                               m.what));
        return;
    }
    send(p, *report);
}

}  // namespace shoal::broker
