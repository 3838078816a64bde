// A worker's commands, READY and DONE, and the DISPATCH they make room for (PROTOCOL.md
// section 6).

#include <algorithm>

#include "broker_core.hpp"
#include "shoal/common/detail/hop_trace.hpp"

namespace shoal::broker {

void broker_core::on_ready(peer& p, std::string_view body) {
    const proto::ready m = proto::decode<proto::ready>(body, limits_);
    if (p.worker.draining) return;  // its credit is void for good
    p.worker.credit.grant(m.credit);
    dispatch_needed_ = true;
}

void broker_core::on_started(peer& p, std::string_view body) {
    const proto::started m = proto::decode<proto::started>(body, limits_);
    for (const proto::task_attempt& t : m.tasks) {
        const inflight_task* held = inflight_.find(t.id);
        // Only the holder's own current attempts: another worker's task stays as it is.
        if (held == nullptr || peers_.get(held->worker) != &p) continue;
        if (!held->started && held->task.attempt == t.attempt) {
            count_lane(held->lane, task_event::started);
            emit_started(t.id, held->lane, t.attempt, p);
        }
        inflight_.mark_started(t.id, t.attempt);
    }
}

void broker_core::on_drain(peer_ref ref, peer& p, std::string_view body) {
    const proto::drain m = proto::decode<proto::drain>(body, limits_);
    if (!p.worker.draining) {
        spdlog::info("shoal-broker: worker '{}' is draining: {} task(s) handed back", p.name,
                     m.returned.size());
    }
    p.worker.draining = true;
    p.worker.credit.void_all();
    // Highest seq first, so that pushing each to the front keeps its lane in order.
    std::vector<inflight_task> back;
    for (const proto::task_attempt& t : m.returned) {
        const inflight_task* held = inflight_.find(t.id);
        if (held == nullptr || held->worker != ref || held->task.attempt != t.attempt ||
            held->started) {
            continue;  // not this worker's to give back (any more)
        }
        inflight_task taken;
        inflight_.remove(t.id, &taken);
        back.push_back(std::move(taken));
    }
    std::sort(back.begin(), back.end(), [](const inflight_task& a, const inflight_task& b) {
        return a.task.seq > b.task.seq;
    });
    for (inflight_task& t : back) {
        p.worker.credit.finished();
        ++stats_.tasks_returned;
        if (t.revoked) continue;  // its outcome, revoked, is stored already
        const task_entry* entry = store_.find(t.task.id);
        if (entry == nullptr || entry->done) continue;
        run_again(t.lane, std::move(t.task));
    }
}

// The current attempt of a task in flight at another live worker: not this one's to report.
// A worker that reconnected under a new identity keeps its name, so its results still count.
bool broker_core::reported_by_another(const proto::task_id& id, std::uint32_t attempt,
                                      const peer& p) {
    const inflight_task* held = inflight_.find(id);
    if (held == nullptr || held->task.attempt != attempt) return false;  // late, or unknown
    const peer* holder = peers_.get(held->worker);
    if (holder == nullptr || holder == &p || holder->name == p.name) return false;
    ++stats_.foreign_results;
    log_limited("foreign",
                "ignored a result for task {} from worker '{}': it was dispatched to '{}'",
                id.to_hex(), p.name, holder->name);
    return true;
}

void broker_core::on_done(peer& p, std::string_view body) {
    proto::done m = proto::decode<proto::done>(body, limits_);
    for (proto::finished_task& f : m.finished) {
        const proto::task_id id = f.result.id;
        hop_trace::record(hop_trace::hop::broker_done, id.as_bytes());
        const std::optional<double> runtime_s =
            f.runtime_us ? std::optional<double>(static_cast<double>(*f.runtime_us) / 1e6)
                         : std::nullopt;
        if (reported_by_another(id, f.attempt, p)) continue;
        inflight_task taken;
        switch (inflight_.take_done(id, f.attempt, taken)) {
            case done_verdict::current: {
                // Normally taken.worker is this peer; if the worker reconnected under a new
                // identity, the attempt still matches and the result still counts.
                if (peer* holder = peers_.get(taken.worker)) {
                    holder->worker.credit.finished();
                    ++holder->worker.done;
                }
                task_entry* entry = store_.find(id);
                if (entry != nullptr && !entry->done) {
                    ++stats_.completed;
                    if (runtime_s)
                        name_counts_.observe_runtime(queues_.at(taken.lane).name, *runtime_s);
                    // Started and finished within one pass of the worker: told by DONE alone.
                    if (!taken.started) {
                        count_lane(taken.lane, task_event::started);
                        emit_started(id, taken.lane, f.attempt, p);
                    }
                    // A failure the worker did not sign is signed with its name.
                    if (f.result.status != proto::task_status::ok && f.result.error.where.empty()) {
                        f.result.error.where = p.name;
                    }
                    // A process-pool child that died running it (a crash, not an exception)
                    // counts toward the delivery limit, as a worker's death does.
                    if (f.result.status == proto::task_status::failed &&
                        f.result.error.type == crashed_child_type) {
                        lose_attempt(*entry, taken.lane, std::move(taken.task),
                                     "its process died (" + f.result.error.message + ")");
                        break;
                    }
                    // A task's exception is an outcome like any other: retried if its policy
                    // says so, else told as it is.
                    if (retry_if_asked(*entry, taken, f)) break;
                    finish(id, *entry, std::move(f.result), {p.name, runtime_s});
                }
                break;
            }
            case done_verdict::revoked:
                if (peer* holder = peers_.get(taken.worker)) holder->worker.credit.finished();
                ++stats_.revoked_results;
                ++p.worker.late;
                spdlog::debug("shoal-broker: ignored the result of revoked task {} from '{}'",
                              id.to_hex(), p.name);
                break;
            case done_verdict::late:
                ++stats_.late_results;
                ++p.worker.late;
                log_limited("late", "ignored a late result for task {} attempt {} from worker '{}'",
                            id.to_hex(), f.attempt, p.name);
                break;
        }
    }
    p.worker.credit.grant(m.credit);
    dispatch_needed_ = true;
}

void broker_core::dispatch_all() {
    if (!dispatch_needed_) return;
    dispatch_needed_ = false;
    const auto workers = peers_.worker_slots();
    if (workers.empty() || queues_.live_total() == 0) return;
    const std::size_t n = workers.size();
    // Start after the worker served last, so that tasks coming one at a time go round.
    const std::size_t start = rotation_ % n;
    shares_.clear();
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t position = (start + i) % n;
        const peer_ref ref = peers_.ref_of(workers[position]);
        const peer* w = peers_.get(ref);
        if (w == nullptr || w->worker.credit.available() == 0) continue;
        const std::size_t room = window_room(*w);
        if (room == 0) continue;
        const std::uint64_t held = w->worker.credit.held();
        const std::uint64_t idle_slots = w->worker.slots > held ? w->worker.slots - held : 0;
        shares_.add(dispatcher_, *w, ref, position,
                    static_cast<std::size_t>(w->worker.credit.available()),
                    static_cast<std::size_t>(idle_slots), room);
    }
    // Normally one DISPATCH per worker, sent after the pass; more only when a message's size
    // (or max_batch) cut a batch, which is sent at once.
    const auto flush = [this](fair_share::taker& t) {
        peer* w = peers_.get(t.ref);
        if (w == nullptr || !send_dispatch(*w, t.batch)) {
            t.unsent = true;
            return false;
        }
        t.batch.clear();
        t.room = window_room(*w);
        return t.room > 0;
    };
    if (const auto last = shares_.share_out(dispatcher_, loop_.time(), config_.max_batch, flush))
        rotation_ = *last + 1;
    unsent_.clear();
    for (fair_share::taker& t : shares_.takers()) {
        if (!t.unsent && !t.batch.entries.empty()) flush(t);  // the pass's DISPATCH
        if (t.unsent) unsent_.push_back(&t.batch);
    }
    if (!unsent_.empty()) {
        // Not sent (the worker is gone or not reading): the tasks wait for a retry.
        dispatcher_.undo(unsent_);
        dispatch_needed_ = true;
    }
    shares_.clear();
    arm_control_timer();  // a rate-limited name passed over gets a wake-up
}

// The bytes a DISPATCH to `w` may hold now: at most a message, within its output window. A
// worker that does not read gets nothing more (the tasks wait in their queues; its
// acknowledgement reopens the window): 0.
std::size_t broker_core::window_room(const peer& w) const {
    const std::uint64_t unacked = w.unacked();
    if (unacked > 0 && unacked >= config_.window_bytes) return 0;
    // (A task larger than the room still goes alone when nothing is unacknowledged.)
    if (unacked >= config_.window_bytes) return 1;
    return static_cast<std::size_t>(
        std::min<std::uint64_t>(message_budget(), config_.window_bytes - unacked));
}

// Sends one worker's batch; false if it could not be sent (nothing of it is spent then).
bool broker_core::send_dispatch(peer& w, dispatch_batch& batch) {
    const std::string body = proto::encode(batch.message);
    if (!send_raw(w, proto::command::dispatch, body)) return false;
    dispatcher::restore(batch);
    if (durable_) {
        for (const inflight_task* t : batch.entries) {
            durable_->stage_lease(t->task.id, {t->task.attempt, t->task.deaths, t->task.retries});
        }
    }
    w.worker.credit.spend(batch.entries.size());
    stats_.dispatched += batch.entries.size();
    const std::uint32_t now_ms = loop_ms();
    for (const inflight_task* t : batch.entries) {
        count_lane(t->lane, task_event::received);
        name_counts_.observe_queue_wait(queues_.at(t->lane).name,
                                        static_cast<double>(now_ms - t->task.enqueued_ms) / 1000.0);
        emit_received(*t, w);
    }
    return true;
}

}  // namespace shoal::broker
