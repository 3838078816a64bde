// A client's commands: SUBMIT, REVOKE, PURGE, INSPECT (PROTOCOL.md sections 4, 5, 8);
// FETCH is fetch_work.cpp's.

#include <algorithm>

#include "broker_core.hpp"
#include "inspect.hpp"
#include "security/access_rules.hpp"
#include "shoal/common/detail/hop_trace.hpp"
#include "submit_rules.hpp"

namespace shoal::broker {

void broker_core::on_submit(peer_ref ref, peer& p, std::string_view body) {
    proto::submit m = proto::decode<proto::submit>(body, limits_);
    submit_tasks(ref, p, m);
}

void broker_core::submit_tasks(peer_ref ref, peer& p, proto::submit& m) {
    if (hop_trace::enabled()) {
        for (const auto& t : m.tasks)
            hop_trace::record(hop_trace::hop::broker_submit, t.id.as_bytes());
    }
    proto::accepted reply;
    reply.refused = std::move(m.malformed);  // what the codec could not read, per task
    if (durable_) return submit_durably(ref, p, m, std::move(reply));
    reply.ids.reserve(m.tasks.size());
    for (proto::submitted_task& t : m.tasks) {
        task_entry* entry = nullptr;
        switch (admit(ref, p, t, reply, entry)) {
            case admit_verdict::fresh:
                entry->payload = std::move(t.payload);
                reply.ids.push_back(t.id);
                ++stats_.submitted;
                enqueue(*entry, t.queue, t.name, queued_from(t), admission_of(t.options));
                count_task(*entry, task_event::sent);  // once enqueue set its lane
                break;
            case admit_verdict::finished_now:
                reply.ids.push_back(t.id);
                ++stats_.submitted;
                name_counts_.count(t.name, task_event::sent);
                break;
            case admit_verdict::refused:
                name_counts_.count(t.name, task_event::rejected);
                emit_rejected(t.id, t.name, reply.refused.back().error);
                break;
            case admit_verdict::repeated:
            case admit_verdict::being_written:  // only with Redis
                break;
        }
    }
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
    if (t.options.chunk.value_or(false) && !t.options.inputs.empty()) {
        return refuse(t.id, "bad_task", "chunk: a chunk takes no inputs (futures as arguments)");
    }
    return std::nullopt;
}

broker_core::admit_verdict broker_core::admit(peer_ref ref, const peer& p, proto::submitted_task& t,
                                              proto::accepted& reply, task_entry*& entry) {
    if (auto refusal = refusal_for(t)) {
        reply.refused.push_back(std::move(*refusal));
        return admit_verdict::refused;
    }
    // Another key's id gets another fingerprint (submit_rules.hpp): a conflict, never its
    // result.
    const std::uint64_t hash = body_hash(t, p.user_id);
    if (task_entry* known = store_.find(t.id)) {
        if (known->body_hash != hash) {
            reply.refused.push_back(
                refuse(t.id, "conflict", "this task id was already submitted with another body"));
            return admit_verdict::refused;
        }
        if (known->awaiting_write) return admit_verdict::being_written;
        accept_duplicate(ref, t.id, *known, reply);
        return admit_verdict::repeated;
    }
    // Forgotten by the store, still remembered by the dedup window: it ran, never again.
    if (const auto ran = store_.expired_body(t.id)) {
        if (*ran != hash) {
            reply.refused.push_back(
                refuse(t.id, "conflict", "this task id was already submitted with another body"));
        } else {
            ++stats_.duplicates;
            reply.refused.push_back(
                refuse(t.id, "result_expired",
                       "this task ran already and its result expired; it is not run again"));
        }
        return admit_verdict::refused;
    }
    // While (re)connecting the task waits for the handshake (at most the Redis timeout);
    // only a Redis known to be down refuses at once.
    if (durable_ && durable_->connection().current() == redis_connection::state::down) {
        ++stats_.unavailable;
        reply.refused.push_back(unavailable(t.id, fmt::format("Redis is {}", redis_state())));
        return admit_verdict::refused;
    }
    // The route table (task_routes.hpp) places a task that names no queue; after the
    // fingerprint, so that the same SUBMIT again is still the same task whatever the table
    // says, and before the task is stored, so that its queue is the one a restart finds.
    if (const std::string_view routed = routes_.queue_for(t.name, t.queue); routed != t.queue) {
        t.queue = std::string(routed);
    }
    const std::uint32_t charge = charge_of(t);
    const auto busy = [&](std::string why) {
        ++stats_.busy;
        reply.retry_after_ms = config_.busy_retry_ms;
        reply.refused.push_back(
            refuse(t.id, "busy",
                   fmt::format("{}: nothing was accepted; send it again after {} ms", why,
                               config_.busy_retry_ms)));
        return admit_verdict::refused;
    };
    if (store_.queued_bytes() > 0 && store_.queued_bytes() + charge > config_.max_queued_bytes) {
        return busy(
            fmt::format("the broker holds {} bytes of tasks, its budget (max_queued_bytes) "
                        "is {}",
                        store_.queued_bytes(), config_.max_queued_bytes));
    }
    // After the budget: a task whose input this same SUBMIT had refused busy is busy too (the
    // client sends both again, in order), not a task naming an unknown input.
    bool unknown_input = false;
    if (auto refusal = refusal_for_inputs(p, t, unknown_input)) {
        if (unknown_input && reply.retry_after_ms != 0) {
            return busy("an input of this task was refused busy in the same SUBMIT");
        }
        reply.refused.push_back(std::move(*refusal));
        return admit_verdict::refused;
    }
    entry = store_.add_pending(t.id).first;
    entry->body_hash = hash;
    entry->owner = p.owner;
    entry->recipient = ref;
    entry->seq = next_seq_++;
    store_.charge(*entry, charge);
    if (!durable_) emit_sent(t.id, t.name, t.queue, t.payload, admission_of(t.options), ref);
    // With Redis the name is judged once Redis has answered for the id (settle_submits): Redis
    // may know it already (it ran before a restart), and then its stored result, or a
    // conflict, is the answer, whatever the workers offer now.
    if (!durable_ && fail_if_unknown_name(t.id, *entry, t.name)) return admit_verdict::finished_now;
    return admit_verdict::fresh;
}

void broker_core::accept_duplicate(peer_ref ref, const proto::task_id& id, task_entry& entry,
                                   proto::accepted& reply) {
    // The same task again (a SUBMIT repeated after a lost ACCEPTED): accepted, not run
    // again, and this client hears the result too, once it is one nobody can take back.
    ++stats_.duplicates;
    reply.ids.push_back(id);
    if (entry.done && !entry.unconfirmed) {
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
    name_counts_.count(name, task_event::rejected);
    finish_by_broker(id, entry, proto::task_status::unknown_task, "unknown_task",
                     fmt::format("no worker offers task '{}'", name));
    return true;
}

void broker_core::on_revoke(const peer& p, std::string_view body) {
    const proto::revoke m = proto::decode<proto::revoke>(body, limits_);
    for (const proto::task_id& id : m.ids) {
        // Another key's task is left alone, as an unknown id is: REVOKE has no answer.
        if (const task_entry* entry = store_.find(id); entry && !may_see(p, entry->owner)) {
            continue;
        }
        revoke_task(id, m.terminate);
    }
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
        if (terminate) {
            ++stats_.revoked;
            finish_by_broker(id, *entry, proto::task_status::revoked, "revoked",
                             "revoked by a client (terminated)");
            return;
        }
    } else if (entry->dead_lettered) {
        // Set aside, in no lane: it is over now, no longer a letter to retry.
        dead_.take(id);
        entry->dead_lettered = false;
    } else if (!entry->held) {
        queues_.mark_stale(entry->lane);  // dropped when it reaches the head of its lane
    }  // a held task (countdown, retry wait) is dropped when its time comes
    ++stats_.revoked;
    finish_by_broker(id, *entry, proto::task_status::revoked, "revoked", "revoked by a client");
}

void broker_core::on_purge(peer_ref ref, peer& p, std::string_view body) {
    const proto::purge m = proto::decode<proto::purge>(body, limits_);
    // Only what waits now goes; a slice per pass, so a queue of millions holds no one up.
    std::uint64_t waiting = 0;
    if (const auto queue = queues_.queue_names().find(m.queue))
        waiting = queues_.live_in_queue(*queue);
    spdlog::info("shoal-broker: client '{}' purges queue '{}': {} tasks", p.name, m.queue, waiting);
    purges_.push_back(purge_job{ref, m.queue, waiting, 0});
}

void broker_core::serve_purges() {
    // Every purged task ends revoked, told and stored: nothing silently lost.
    std::size_t budget = purge_slice;
    while (!purges_.empty() && budget > 0) {
        purge_job& job = purges_.front();
        std::vector<proto::task_id> ids;
        if (const auto queue = queues_.queue_names().find(job.queue);
            queue && job.done < job.target) {
            const std::size_t max =
                static_cast<std::size_t>(std::min<std::uint64_t>(budget, job.target - job.done));
            queues_.drain_queue(
                *queue, [this](const queued_task& t) { return dispatcher_.is_live(t); },
                [&](lane_id, queued_task&& t) { ids.push_back(t.id); }, max);
        }
        for (const proto::task_id& id : ids) {
            if (task_entry* entry = store_.find(id); entry != nullptr && !entry->done) {
                finish_by_broker(id, *entry, proto::task_status::revoked, "revoked",
                                 fmt::format("queue '{}' purged", job.queue));
            }
        }
        job.done += ids.size();
        stats_.revoked += ids.size();
        budget -= std::min(budget, ids.size());
        if (!ids.empty() && job.done < job.target) continue;  // more of it in the next slice
        if (peer* p = peers_.get(job.client)) send(*p, proto::purged{job.queue, job.done});
        purges_.pop_front();
    }
    if (!purges_.empty()) schedule_more_work();
}

void broker_core::on_inspect(std::string_view identity, peer& p, std::string_view body) {
    const proto::inspect m = proto::decode<proto::inspect>(body, limits_);
    if (p.key) {
        if (const auto needed = role_needed_to_inspect(*p.key, m.what)) {
            forbid(identity, &p, proto::command::inspect,
                   fmt::format("INSPECT {} needs an {} key; this connection's key is {}", m.what,
                               to_string(*needed), p.user_id));
            return;
        }
    }
    std::optional<proto::report> report = build_report(m.what, inspect_view());
    if (m.what == "scheduled") {
        // The periodic tasks, soonest first, then the tasks held for a time (build_report's).
        std::vector<const periodic_entry*> soonest;
        periodic_.for_each([&](const periodic_entry& e) { soonest.push_back(&e); });
        std::stable_sort(soonest.begin(), soonest.end(), [](const auto* a, const auto* b) {
            const auto key = [](const periodic_entry* e) {
                return e->paused || !e->next_ms ? UINT64_MAX : *e->next_ms;
            };
            return key(a) < key(b);
        });
        std::vector<proto::report_row> rows;
        rows.reserve(soonest.size() + report->rows.size());
        for (const periodic_entry* e : soonest) {
            if (rows.size() < report_max_rows) rows.push_back(periodic_row(*e));
        }
        for (auto& row : report->rows) {
            if (rows.size() < report_max_rows) rows.push_back(std::move(row));
        }
        report->rows = std::move(rows);
    }
    if (!report) {
        ++stats_.invalid_messages;
        send_error(identity, "bad_body",
                   fmt::format("INSPECT: unknown '{}' (workers, queues, active, dead, held, "
                               "scheduled, limits or stats)",
                               m.what));
        return;
    }
    send_windowed(p, *report);
}

}  // namespace shoal::broker
