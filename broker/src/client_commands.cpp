// A client's commands: SUBMIT, FETCH, REVOKE, PURGE, INSPECT (PROTOCOL.md sections 4, 5, 8).

#include <functional>

#include "broker_core.hpp"
#include "shoal/broker/inspect.hpp"

namespace shoal::broker {

namespace {

std::uint64_t mix(std::uint64_t seed, std::uint64_t value) noexcept {
    return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

template <class T>
std::uint64_t mix_option(std::uint64_t seed, const std::optional<T>& o) noexcept {
    return mix(seed, o ? static_cast<std::uint64_t>(*o) + 1 : 0);
}

// A fingerprint of everything a SUBMIT says about a task but its id: the same id with the
// same fingerprint is the same task sent again (idempotent), with another one a conflict.
std::uint64_t body_hash(const proto::submitted_task& t) {
    const std::hash<std::string_view> h;
    std::uint64_t x = h(t.name);
    x = mix(x, h(t.queue));
    x = mix(x, h(t.payload));
    x = mix(x, t.payload.size());
    const proto::task_options& o = t.options;
    x = mix_option(x, o.priority);
    x = mix_option(x, o.countdown_ms);
    x = mix_option(x, o.eta_ms);
    x = mix_option(x, o.expires_ms);
    x = mix_option(x, o.time_limit_ms);
    x = mix_option(x, o.max_retries);
    return x;
}

// The options this broker does not implement yet, named; empty if none is set.
std::string unsupported_options(const proto::task_options& o) {
    std::string names;
    const auto note = [&](bool set, const char* name) {
        if (!set) return;
        if (!names.empty()) names += ", ";
        names += name;
    };
    note(o.priority.has_value(), "priority");
    note(o.countdown_ms.has_value(), "countdown_ms");
    note(o.eta_ms.has_value(), "eta_ms");
    note(o.expires_ms.has_value(), "expires_ms");
    note(o.max_retries.has_value(), "max_retries");
    return names;
}

bool bad_name(const std::string& s) { return s.empty() || s.size() > proto::max_name_bytes; }

proto::refusal refuse(const proto::task_id& id, const char* code, std::string message) {
    return proto::refusal{id, proto::error_info{code, std::move(message), "broker"}};
}

}  // namespace

void broker_core::on_submit(peer_ref ref, peer& p, std::string_view body) {
    proto::submit m = proto::decode<proto::submit>(body, limits_);
    proto::accepted reply;
    reply.refused = std::move(m.malformed);  // what the codec could not read, per task
    reply.ids.reserve(m.tasks.size());
    for (proto::submitted_task& t : m.tasks) accept_task(ref, t, reply);
    stats_.refused += reply.refused.size();
    send(p, reply);
}

void broker_core::accept_task(peer_ref ref, proto::submitted_task& t, proto::accepted& reply) {
    if (bad_name(t.name)) {
        reply.refused.push_back(refuse(t.id, "bad_task", "name: must be 1..255 bytes"));
        return;
    }
    if (bad_name(t.queue)) {
        reply.refused.push_back(refuse(t.id, "bad_task", "queue: must be 1..255 bytes"));
        return;
    }
    if (const std::string names = unsupported_options(t.options); !names.empty()) {
        reply.refused.push_back(refuse(
            t.id, "unsupported", fmt::format("option(s) not supported by this broker yet: {}", names)));
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
        // The same task again (a SUBMIT repeated after a lost ACCEPTED): accepted, not run
        // again, and this client hears the result too.
        ++stats_.duplicates;
        reply.ids.push_back(t.id);
        if (entry->done) {
            push_result(ref, result_store::outcome_of(t.id, *entry));
        } else if (entry->recipient != ref) {
            watch(t.id, ref);
        }
        return;
    }
    entry->body_hash = hash;
    entry->recipient = ref;
    reply.ids.push_back(t.id);
    ++stats_.submitted;

    // A name no registered worker offers fails at once; with no worker at all, the task
    // waits (the workers may simply not have started yet).
    if (peers_.worker_count() > 0) {
        const auto name = queues_.task_names().find(t.name);
        if (!name || peers_.offers(*name) == 0) {
            ++stats_.unknown_task;
            finish_by_broker(t.id, *entry, proto::task_status::unknown_task, "unknown_task",
                             fmt::format("no worker offers task '{}'", t.name));
            return;
        }
    }
    const lane_id lane = queues_.lane_for(t.queue, t.name);
    entry->lane = lane;
    entry->seq = next_seq_++;
    queued_task q;
    q.id = t.id;
    q.seq = entry->seq;
    if (t.options.time_limit_ms) q.time_limit_ms = *t.options.time_limit_ms;
    q.payload = std::move(t.payload);
    queues_.push_back(lane, std::move(q));
    dispatch_needed_ = true;
}

void broker_core::on_fetch(peer_ref ref, peer& p, std::string_view body) {
    const proto::fetch m = proto::decode<proto::fetch>(body, limits_);
    // Answered in as many FETCHED messages as the results' size needs.
    proto::fetched reply;
    std::size_t bytes = 0;
    for (const proto::task_id& id : m.ids) {
        proto::fetched_entry e = store_.fetch(id);
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
    send(p, reply);
}

void broker_core::on_revoke(std::string_view body) {
    const proto::revoke m = proto::decode<proto::revoke>(body, limits_);
    for (const proto::task_id& id : m.ids) revoke_task(id);
}

void broker_core::revoke_task(const proto::task_id& id) {
    task_entry* entry = store_.find(id);
    if (entry == nullptr || entry->done) return;  // unknown, or over already: nothing to stop
    if (inflight_task* running = inflight_.find(id)) {
        // The worker is told to stop; it still reports the task in DONE, which is ignored.
        running->revoked = true;
        if (peer* w = peers_.get(running->worker)) {
            w->cancels_out.push_back(id);
            queue_flush(running->worker, *w);
        }
    } else {
        queues_.mark_stale(entry->lane);  // dropped when it reaches the head of its lane
    }
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
    const inspect_sources from{peers_,  queues_,    inflight_,         store_,
                               stats_,  loop_.time(), config_.max_batch};
    std::optional<proto::report> report = build_report(m.what, from);
    if (!report) {
        ++stats_.invalid_messages;
        send_error(identity, "bad_body",
                   fmt::format("INSPECT: unknown '{}' (workers, queues, active or stats)", m.what));
        return;
    }
    send(p, *report);
}

}  // namespace shoal::broker
