// With Redis (broker/README.md, "Redis"): the broker's side of durability.
//
//   startup     recovery: every task Redis holds without a result is queued again, its
//               attempt one past its last lease
//   SUBMIT      new tasks are written (the submit script) before ACCEPTED; a task is queued
//               only once Redis has it; if Redis cannot take it, it is refused `unavailable`
//               (retryable: nothing was stored, nothing will run)
//   outcomes    stored in memory at once, pushed to clients once Redis has stored them
//   FETCH       ids this broker does not know (or forgot) are looked up in Redis

#include <algorithm>

#include "broker_core.hpp"
#include "redis/redis_credentials.hpp"
#include "shoal/broker/broker.hpp"
#include "submit_rules.hpp"

namespace shoal::broker {

redis_endpoint broker_core::redis_endpoint_of_config() const {
    redis_endpoint endpoint = parse_redis_url(config_.redis);
    apply_redis_credentials(endpoint, config_);
    return endpoint;
}

void broker_core::open_durable() {
    durable_options options;
    options.endpoint = redis_endpoint_of_config();
    // An active broker among several: every write only while the lease is still ours.
    if (!lease_token_.empty()) options.fence = write_fence{std::string(lease_key), lease_token_};
    options.result_ttl_s = config_.redis_result_ttl_s;
    options.dedup_window_s = config_.dedup_window_s;
    options.timeout_s = config_.redis_timeout_ms / 1000.0;
    // Half the timeout: a WAIT that blocks must not make the connection look hung.
    options.wait_replicas = config_.redis_wait_replicas;
    options.wait_timeout_ms = std::max<std::uint32_t>(1, config_.redis_timeout_ms / 2);
    durable_ = std::make_unique<durable_store>(loop_, options);
    recovery r;
    try {
        r = durable_->open();
    } catch (const redis_error& e) {
        durable_.reset();
        throw broker_error(e.what());
    }
    for (const std::string& w : r.warnings) spdlog::warn("shoal-broker: {}", w);
    spdlog::info("shoal-broker: durable with Redis at {}: {} unfinished tasks recovered{}{}",
                 options.endpoint.describe(), r.tasks.size(),
                 r.finished > 0 ? fmt::format(", {} finished ones cleaned up", r.finished) : "",
                 r.unreadable > 0 ? fmt::format(", {} unreadable left alone", r.unreadable) : "");
    recover(std::move(r));
    durable_->on_results_stored = [this](const std::vector<proto::task_id>& ids) {
        on_results_stored(ids);
    };
    durable_->on_up = [this] { end_of_wakeup(); };
    durable_->connection().on_down = [](const std::string& why) {
        spdlog::warn("shoal-broker: refusing new tasks until Redis is back ({})", why);
    };
    durable_->start();
}

void broker_core::recover(recovery&& r) {
    recover_periodic(r.periodic);
    recovered_inputs_ = &r.input_results;
    for (recovered_task& t : r.tasks) {
        auto [entry, fresh] = store_.add_pending(t.record.task.id);
        if (!fresh) continue;
        entry->body_hash = t.record.body_hash;
        entry->owner = owners_.intern(t.record.owner);
        entry->seq = t.record.seq;
        store_.charge(*entry, charge_of(t.record.task));
        entry->payload = std::move(t.record.task.payload);
        next_seq_ = std::max(next_seq_, t.record.seq + 1);
        ++stats_.recovered;
        // A task that was running when the broker died runs again as a new attempt, so that
        // a late result of the old one is told apart; what it cost so far still counts.
        queued_task q = queued_from(t.record.task, t.progress.attempt + 1);
        q.seq = entry->seq;  // whichever way it goes: the queues tell a live record by its seq
        q.deaths = t.progress.deaths;
        q.retries = t.progress.retries;
        const admission a = admission_of(t.record.task.options);
        if (a.inputs && (t.dead || t.held_until_ms) && !refill_inputs(*entry, a)) {
            // Its inputs' results are gone: it waits for them as a new dependent would (and
            // fails, naming the input whose result is no longer stored).
            t.dead.reset();
            t.held_until_ms.reset();
        }
        if (t.dead) {
            // Set aside before: still a dead letter, with its count and reason, not run.
            const lane_id lane =
                queues_.lane_for(t.record.task.queue, t.record.task.name, a.priority);
            q.deaths = t.dead->deaths;
            entry->lane = lane;
            entry->has_lane = true;
            entry->dead_lettered = true;
            const double age_s =
                static_cast<double>(epoch_ms() - std::min(epoch_ms(), t.dead->at_ms)) / 1000.0;
            (void)dead_.add(
                dead_letter{lane, std::move(q), std::move(t.dead->reason), loop_.time() - age_s});
            continue;
        }
        if (t.held_until_ms) {
            // Held (countdown, eta, a retry's wait) until a wall-clock time, kept across the
            // restart; an expiry still applies.
            const lane_id lane =
                queues_.lane_for(t.record.task.queue, t.record.task.name, a.priority);
            entry->lane = lane;
            entry->has_lane = true;
            watch_expiry(*entry, q.id, a);
            if (!entry->done) hold(*entry, epoch_to_loop(*t.held_until_ms), lane, std::move(q));
            continue;
        }
        // Never held here (or its hold was not written): a countdown counts again from now;
        // eta and expiry are absolute.
        enqueue(*entry, t.record.task.queue, t.record.task.name, std::move(q), a);
    }
    recovered_inputs_ = nullptr;
}

void broker_core::submit_durably(peer_ref ref, peer& p, proto::submit& m, proto::accepted&& reply) {
    if (!gathering_) gathering_ = std::make_unique<submit_write>();
    submit_write& w = *gathering_;
    const std::size_t index = w.submits.size();
    w.submits.push_back({ref, std::move(reply), {}});
    proto::accepted& now = w.submits.back().reply;
    std::size_t waiting = 0;
    for (proto::submitted_task& t : m.tasks) {
        task_entry* entry = nullptr;
        switch (admit(ref, p, t, now, entry)) {
            case admit_verdict::fresh: {
                entry->awaiting_write = true;
                w.records.emplace_back(
                    t.id, encode_task_record(entry->body_hash, entry->seq, t, p.user_id));
                entry->payload = std::move(t.payload);
                submit_write::fresh_task f;
                f.submit = index;
                f.id = t.id;
                f.queue = std::move(t.queue);
                f.name = std::move(t.name);
                f.admit = admission_of(t.options);
                f.task = queued_from(t);
                w.tasks.push_back(std::move(f));
                ++waiting;
                break;
            }
            case admit_verdict::finished_now:
                // Not with Redis (admit leaves the name to settle_submits); as in memory if it
                // were.
                ++stats_.submitted;
                now.ids.push_back(t.id);
                break;
            case admit_verdict::being_written:
                w.submits.back().duplicates.push_back(t.id);  // answered once it is stored
                ++waiting;
                break;
            case admit_verdict::refused:
            case admit_verdict::repeated:
                break;
        }
    }
    if (waiting == 0) {
        // Nothing of it waits for Redis: answered now.
        proto::accepted done = std::move(w.submits.back().reply);
        w.submits.pop_back();
        stats_.refused += done.refused.size();
        send(p, done);
    }
}

void broker_core::write_submits() {
    if (!gathering_) return;
    // Sent once the handshake is over (on_up), or refused by the tick if it fails.
    if (durable_->connection().current() == redis_connection::state::connecting) return;
    std::shared_ptr<submit_write> w(std::move(gathering_));
    if (w->records.empty()) {
        // Only duplicates of tasks being written: they are answered with the last write, which
        // Redis answers after every earlier one.
        if (auto last = last_write_.lock(); last && !last->settled) {
            for (auto& s : w->submits) last->submits.push_back(std::move(s));
            return;
        }
        std::vector<submit_answer> none;
        settle_submits(*w, none);
        return;
    }
    const double sent_at = loop_.time();
    const bool sent =
        durable_->write_tasks(w->records, [this, w, sent_at](std::vector<submit_answer>& answers) {
            redis_latency_.observe(loop_.time() - sent_at);
            settle_submits(*w, answers);
            end_of_wakeup();
        });
    if (!sent) {
        submit_answer not_stored;
        not_stored.verdict = submit_answer::kind::not_stored;
        not_stored.failure = fmt::format("Redis is {}", redis_state());
        std::vector<submit_answer> answers(w->records.size(), not_stored);
        settle_submits(*w, answers);
        return;
    }
    last_write_ = w;
}

void broker_core::settle_submits(submit_write& w, std::vector<submit_answer>& answers) {
    w.settled = true;
    w.records.clear();
    std::vector<proto::task_id> refused_unsure;
    for (std::size_t i = 0; i < w.tasks.size(); ++i) {
        submit_write::fresh_task& f = w.tasks[i];
        proto::accepted& reply = w.submits[f.submit].reply;
        task_entry* entry = store_.find(f.id);
        if (entry == nullptr) continue;  // cannot happen: awaiting entries are never expired
        const submit_answer& a = answers[i];
        if (a.verdict == submit_answer::kind::not_stored) {
            refused_unsure.push_back(f.id);
            if (!entry->done) store_.forget_pending(f.id);
            ++stats_.unavailable;
            reply.refused.push_back(unavailable(f.id, a.failure));
            continue;
        }
        entry->awaiting_write = false;
        switch (a.verdict) {
            case submit_answer::kind::stored:
            case submit_answer::kind::pending:  // stored by an earlier broker: ours to run now
                ++stats_.submitted;
                reply.ids.push_back(f.id);
                // New to Redis too: a name no registered worker offers fails now (unknown_task).
                name_counts_.count(f.name, task_event::sent);
                emit_sent(f.id, f.name, f.queue, entry->payload, f.admit, entry->recipient);
                if (!entry->done && !fail_if_unknown_name(f.id, *entry, f.name)) {
                    enqueue(*entry, f.queue, f.name, std::move(f.task), f.admit);
                }
                break;
            case submit_answer::kind::conflict:
                if (!entry->done) store_.forget_pending(f.id);
                reply.refused.push_back(refuse(
                    f.id, "conflict", "this task id was already submitted with another body"));
                break;
            case submit_answer::kind::expired:
                // Finished before (another broker, or before a restart), its result gone: the
                // dedup window in Redis remembers it, so it does not run twice.
                if (!entry->done) store_.forget_pending(f.id);
                ++stats_.duplicates;
                reply.refused.push_back(
                    refuse(f.id, "result_expired",
                           "this task ran already and its result expired; it is not run again"));
                break;
            case submit_answer::kind::finished:
                // Run and stored before this broker started: the stored result is the answer.
                ++stats_.duplicates;
                reply.ids.push_back(f.id);
                if (!entry->done && a.outcome) {
                    proto::outcome o = *a.outcome;
                    o.id = f.id;
                    tell(f.id, entry->recipient, o);
                    store_.complete(*entry, std::move(o));
                }
                break;
            case submit_answer::kind::not_stored:
                break;
        }
    }
    // A write that failed may still have been stored (its answer was lost): undone.
    if (!refused_unsure.empty()) durable_->forget_tasks(refused_unsure);
    for (submit_write::waiting_submit& s : w.submits) {
        for (const proto::task_id& id : s.duplicates) {
            task_entry* entry = store_.find(id);
            if (entry == nullptr || entry->awaiting_write) {
                ++stats_.unavailable;
                s.reply.refused.push_back(unavailable(id, "its first submission was not stored"));
            } else {
                accept_duplicate(s.client, id, *entry, s.reply);
            }
        }
        stats_.refused += s.reply.refused.size();
        if (peer* p = peers_.get(s.client)) send(*p, s.reply);
    }
}

void broker_core::on_results_stored(const std::vector<proto::task_id>& ids) {
    for (const proto::task_id& id : ids) {
        task_entry* entry = store_.find(id);
        if (entry == nullptr || !entry->done) continue;
        entry->unconfirmed = false;
        tell(id, entry->recipient, result_store::outcome_of(id, *entry));
        result_final(id);
    }
    end_of_wakeup();
}

bool broker_core::durable_idle() const noexcept {
    if (!durable_) return true;
    return !gathering_ && durable_->idle();
}

std::string_view broker_core::redis_state() const noexcept {
    if (!durable_) return "off";
    switch (durable_->connection().current()) {
        case redis_connection::state::up:
            return "up";
        case redis_connection::state::connecting:
            return "connecting";
        case redis_connection::state::down:
            break;
    }
    return "down";
}

}  // namespace shoal::broker
