// What the broker holds back and brings back (PROTOCOL.md section 5.2): tasks waiting for
// their countdown or eta, tasks past their expiry, failed attempts that are retried after a
// back-off, and tasks set aside as dead letters after killing their workers (REQUEUE brings
// them back). One timer serves them all, armed for the earliest thing due.

#include <algorithm>
#include <chrono>
#include <limits>

#include "broker_core.hpp"

namespace shoal::broker {

std::uint64_t system_epoch_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

double broker_core::epoch_to_loop(std::uint64_t epoch_ms) const {
    // What was asked in wall time (eta, expiry, a hold kept in Redis) becomes a point on the
    // loop's steady clock once, here; from then on only steady time passes for it.
    const std::uint64_t now_ms = wall_ms_();
    const double from_now = epoch_ms >= now_ms ? static_cast<double>(epoch_ms - now_ms) / 1000.0
                                               : -static_cast<double>(now_ms - epoch_ms) / 1000.0;
    return loop_.time() + from_now;
}

bool broker_core::watch_expiry(task_entry& entry, const proto::task_id& id, const admission& a) {
    if (!a.expires_ms) return true;
    const double at = epoch_to_loop(*a.expires_ms);
    if (at <= loop_.time()) {
        ++stats_.expired_tasks;
        finish_by_broker(id, entry, proto::task_status::expired, "expired",
                         "the task's expiry passed before it was queued");
        return false;
    }
    expiries_.add(at, id, entry.seq);
    arm_control_timer();
    return true;
}

void broker_core::enqueue(task_entry& entry, std::string_view queue, std::string_view name,
                          queued_task&& q, const admission& a) {
    if (a.inputs) {
        wait_for_inputs(entry, queue, name, std::move(q), a);
        return;
    }
    const lane_id lane = queues_.lane_for(queue, name, a.priority);
    entry.lane = lane;
    entry.has_lane = true;
    q.seq = entry.seq;
    if (!watch_expiry(entry, q.id, a)) return;
    const double now = loop_.time();
    double due = now;
    if (a.eta_ms) due = std::max(due, epoch_to_loop(*a.eta_ms));
    if (a.countdown_ms) due = std::max(due, now + static_cast<double>(*a.countdown_ms) / 1000.0);
    if (due > now) {
        hold(entry, due, lane, std::move(q));
        return;
    }
    queue_task(lane, std::move(q));
}

void broker_core::hold(task_entry& entry, double due, lane_id lane, queued_task&& q) {
    entry.held = true;
    entry.lane = lane;
    entry.has_lane = true;
    if (durable_) {
        // Kept as a wall-clock time: a restarted broker (another steady clock) honours it.
        const double from_now_ms = std::max(0.0, (due - loop_.time()) * 1000.0);
        durable_->stage_hold(q.id, wall_ms_() + static_cast<std::uint64_t>(from_now_ms));
    }
    delayed_.add(due, lane, std::move(q));
    arm_control_timer();
}

bool broker_core::retry_if_asked(task_entry& entry, inflight_task& taken, proto::finished_task& f) {
    const retry_decision d = decide_retry(taken.task.extras.get(), f, taken.task.retries, random_);
    if (d.give_up) f.result.error = *d.give_up;
    if (!d.retry) return false;
    ++stats_.retried;
    count_lane(taken.lane, task_event::retried);
    queued_task q = std::move(taken.task);
    ++q.retries;
    emit_retried(q.id, taken.lane, f.result.error, q.retries, d.delay_s);
    if (durable_) durable_->stage_lease(q.id, {q.attempt, q.deaths, q.retries});
    ++q.attempt;  // a DONE still coming for the failed attempt is late
    // What it cost so far survives a restart: the retry counts then too.
    if (durable_) durable_->stage_lease(q.id, {q.attempt - 1, q.deaths, q.retries});
    spdlog::debug("shoal-broker: task {} failed ({}); retry {} in {:.3f} s", q.id.to_hex(),
                  f.result.error.type, q.retries, d.delay_s);
    if (d.delay_s <= 0) {
        queue_task(taken.lane, std::move(q));
    } else {
        hold(entry, loop_.time() + d.delay_s, taken.lane, std::move(q));
    }
    return true;
}

void broker_core::lose_attempt(task_entry& entry, lane_id lane, queued_task&& q,
                               std::string_view how) {
    ++q.deaths;
    if (durable_) durable_->stage_lease(q.id, {q.attempt, q.deaths, q.retries});
    if (q.deaths >= config_.max_attempts) {
        const std::uint16_t deaths = q.deaths;
        set_aside(entry, lane, std::move(q),
                  fmt::format("{} during each of {} attempts (delivery limit {})", how, deaths,
                              config_.max_attempts));
        return;
    }
    run_again(lane, std::move(q));
}

void broker_core::set_aside(task_entry& entry, lane_id lane, queued_task&& q, std::string reason) {
    // The submitter's future fails with the reason now; the task stays pending (FETCH says
    // so) until an operator runs it again with REQUEUE. With Redis its record stays too, so a
    // restarted broker tries it again.
    ++stats_.dead_lettered;
    count_lane(lane, task_event::dead_lettered);
    emit_dead_lettered(q.id, lane, reason, q.deaths);
    spdlog::warn("shoal-broker: task {} set aside as a dead letter: {}", q.id.to_hex(), reason);
    proto::outcome o;
    o.id = q.id;
    o.status = proto::task_status::lost;
    o.error = proto::error_info{"dead_letter", reason, "broker"};
    tell(q.id, entry.recipient, o);
    entry.dead_lettered = true;
    if (durable_) durable_->stage_dead(q.id, {q.deaths, wall_ms_(), reason});
    if (auto dropped =
            dead_.add(dead_letter{lane, std::move(q), std::move(reason), loop_.time()})) {
        // Past the bound the oldest letter ends for good: its outcome is stored.
        if (task_entry* old = store_.find(dropped->task.id); old != nullptr && !old->done) {
            old->dead_lettered = false;
            finish_by_broker(dropped->task.id, *old, proto::task_status::lost, "dead_letter",
                             dropped->reason);
        }
    }
}

void broker_core::on_requeue(peer& p, std::string_view body) {
    const proto::requeue m = proto::decode<proto::requeue>(body, limits_);
    proto::accepted reply;
    for (const proto::task_id& id : m.ids) {
        task_entry* entry = store_.find(id);
        std::optional<dead_letter> letter = dead_.take(id);
        if (!letter || entry == nullptr || entry->done) {
            reply.refused.push_back(refuse(id, "not_dead", "no dead-lettered task has this id"));
            continue;
        }
        entry->dead_lettered = false;
        queued_task q = std::move(letter->task);
        q.deaths = 0;
        ++q.attempt;
        if (durable_) {
            durable_->stage_undead(id);
            // Its deaths start over for good: a restart does not bring them back.
            durable_->stage_lease(id, {q.attempt - 1, q.deaths, q.retries});
        }
        entry->lane = letter->lane;
        entry->has_lane = true;
        queue_task(letter->lane, std::move(q));
        ++stats_.requeued_dead;
        reply.ids.push_back(id);
        spdlog::info("shoal-broker: client '{}' requeued dead letter {}", p.name, id.to_hex());
    }
    send(p, reply);
}

void broker_core::on_control_timer() {
    control_timer_at_ = 0;
    const double now = loop_.time();
    delayed_.release_due(now, [&](lane_id lane, queued_task&& q) {
        task_entry* entry = store_.find(q.id);
        // Revoked, expired or purged while held: it simply does not come back.
        if (entry == nullptr || entry->done || entry->seq != q.seq) return;
        entry->held = false;
        if (durable_) durable_->stage_release(q.id);
        queue_task(lane, std::move(q));
    });
    expiries_.take_due(now, [&](const expiry_watch::entry& e) {
        task_entry* entry = store_.find(e.id);
        if (entry == nullptr || entry->done || entry->seq != e.seq) return;
        if (inflight_.find(e.id) != nullptr || entry->dead_lettered) return;  // it started
        if (!entry->held) queues_.mark_stale(entry->lane);
        ++stats_.expired_tasks;
        finish_by_broker(e.id, *entry, proto::task_status::expired, "expired",
                         "the task's expiry passed before it started");
    });
    if (rate_wake_up_ != 0 && rate_wake_up_ <= now) {
        rate_wake_up_ = 0;
        dispatch_needed_ = true;  // a rate-limited name has a token again
    }
    arm_control_timer();
    end_of_wakeup();
}

void broker_core::arm_control_timer() {
    double at = std::numeric_limits<double>::infinity();
    if (const auto d = delayed_.next_due()) at = std::min(at, *d);
    if (const auto e = expiries_.next_at()) at = std::min(at, *e);
    if (const auto r = rates_.take_wake_up()) {
        rate_wake_up_ = rate_wake_up_ == 0 ? *r : std::min(rate_wake_up_, *r);
    }
    if (rate_wake_up_ != 0) at = std::min(at, rate_wake_up_);
    if (at == std::numeric_limits<double>::infinity()) return;
    if (control_timer_at_ != 0 && control_timer_at_ <= at) return;  // armed early enough
    control_timer_.cancel();
    control_timer_at_ = at;
    control_timer_ = loop_.call_at(at, [this] { on_control_timer(); });
}

}  // namespace shoal::broker
