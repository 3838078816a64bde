// Periodic tasks in the broker (broker/README.md, "Periodic tasks"): Celery beat's job without
// a second process to keep alive. A timer wakes the broker at the earliest next slot; each
// due schedule submits its slot's task as any client would (the same admission, the same
// Redis write), under an id made of (name, slot), so a slot fired again after a restart is
// recognised as the same task and never runs twice.
//
// With Redis each schedule's record (shoal:periodic) keeps its definition and the last slot
// fired, written after the slot's task in the same wake-up; a restarted broker (or, later, a
// standby taking over) goes on from there and runs a slot missed meanwhile once, or skips
// it, per the schedule's policy. Without Redis the config's schedules start again with the
// broker, and those added at run time are gone with it.

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker_core.hpp"
#include "inspect.hpp"
#include "shoal/proto/codec.hpp"

namespace shoal::broker {

namespace {

std::string param(const proto::report_row& params, std::string_view key,
                  std::string fallback = {}) {
    for (const proto::report_field& f : params) {
        if (f.key != key) continue;
        if (const auto* s = std::get_if<std::string>(&f.value)) return *s;
        throw schedule_error(fmt::format("{}: must be a string", key));
    }
    return fallback;
}

}  // namespace

void broker_core::recover_periodic(
    const std::vector<std::pair<std::string, std::string>>& records) {
    for (const auto& [name, record] : records) {
        if (auto e = decode_periodic(name, record)) {
            periodic_.put(std::move(*e));
        } else {
            spdlog::error(
                "shoal-broker: periodic task '{}' in Redis ({}) is unreadable; left "
                "as it is and not run",
                name, periodic_key);
        }
    }
}

void broker_core::start_periodic() {
    const std::uint64_t now = epoch_ms();
    // The config's definitions: one Redis kept as it is goes on from its last slot; a changed
    // one starts again from now; one the config no longer has is dropped.
    for (const periodic_definition& d : config_.periodic) {
        periodic_entry* kept = periodic_.find(d.name);
        if (kept != nullptr && kept->def == d) {
            kept->from_config = true;
            continue;
        }
        periodic_entry e = make_periodic_entry(d, now);  // checked when the config was read
        e.from_config = true;
        store_periodic(periodic_.put(std::move(e)));
    }
    std::vector<std::string> dropped;
    periodic_.for_each([&](const periodic_entry& e) {
        const bool in_config =
            std::any_of(config_.periodic.begin(), config_.periodic.end(),
                        [&](const periodic_definition& d) { return d.name == e.def.name; });
        if (e.from_config && !in_config) dropped.push_back(e.def.name);
    });
    for (const std::string& name : dropped) {
        spdlog::info("shoal-broker: periodic task '{}' is no longer in the config: removed", name);
        periodic_.remove(name);
        if (durable_) durable_->stage_periodic(name, std::nullopt);
    }
    if (periodic_.empty()) return;
    spdlog::info("shoal-broker: {} periodic tasks", periodic_.size());
    on_periodic_timer();
}

void broker_core::store_periodic(const periodic_entry& e) {
    if (durable_) durable_->stage_periodic(e.def.name, encode_periodic(e));
}

void broker_core::on_periodic_timer() {
    const std::uint64_t now = epoch_ms();
    std::optional<std::uint64_t> retry_at;
    periodic_.for_each([&](periodic_entry& e) {
        if (e.paused) return;
        const due_slots due = slots_due(e.schedule, e.anchor_ms, e.last_slot_ms, now);
        e.next_ms = due.next_slot_ms;
        if (!due.run_slot_ms && due.skipped == 0) return;
        if (due.run_slot_ms && !fire_slot(e, *due.run_slot_ms)) {
            retry_at = now + config_.busy_retry_ms;  // the slot stays due: tried again then
            return;
        }
        e.skipped += due.skipped;
        if (due.skipped > 0) {
            spdlog::info("shoal-broker: periodic task '{}': {} missed slots skipped ({})",
                         e.def.name, due.skipped, e.def.missed);
        }
        e.last_slot_ms = due.run_slot_ms.value_or(now);
        store_periodic(e);
    });
    arm_periodic_timer(retry_at);
    end_of_wakeup();
}

bool broker_core::fire_slot(periodic_entry& e, std::uint64_t slot_ms) {
    proto::submit m;
    proto::submitted_task& t = m.tasks.emplace_back();
    t.id = slot_task_id(e.def.name, slot_ms);
    t.name = e.def.task;
    t.queue = e.def.queue.empty() ? std::string(proto::default_queue) : e.def.queue;
    t.payload = e.def.args.empty() ? std::string(1, '\x90') : e.def.args;  // [] when none
    submit_tasks(peer_ref{}, scheduler_, m);
    // Accepted (pending, being written, or finished at once), or run before (a restart that
    // fired it already): the slot is done. Otherwise it was refused, and stays due.
    if (store_.find(t.id) == nullptr && !store_.expired_body(t.id)) {
        log_limited("periodic_refused",
                    "periodic task '{}': the slot's task was refused (the broker is busy, or "
                    "Redis is down); trying again in {} ms (busy_retry_ms)",
                    e.def.name, config_.busy_retry_ms);
        ++stats_.periodic_refused;
        return false;
    }
    ++e.runs;
    ++stats_.periodic_fired;
    spdlog::debug("shoal-broker: periodic task '{}' fired slot {} as {}", e.def.name, slot_ms,
                  t.id.to_hex());
    return true;
}

void broker_core::arm_periodic_timer(std::optional<std::uint64_t> retry_at) {
    std::optional<std::uint64_t> at = periodic_.earliest_next();
    if (retry_at && (!at || *retry_at < *at)) at = retry_at;
    periodic_timer_.cancel();
    if (!at) return;
    // A millisecond late, so the wall clock read then is at the slot, not a rounding before.
    periodic_timer_ = loop_.call_at(epoch_to_loop(*at + 1), [this] { on_periodic_timer(); });
}

proto::report_row broker_core::periodic_row(const periodic_entry& e) const {
    proto::report_row row;
    const auto put = [&](std::string key, proto::report_value v) {
        row.push_back({std::move(key), std::move(v)});
    };
    const auto ms = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
    const std::uint64_t now = epoch_ms();
    put("kind", "periodic");
    put("periodic", e.def.name);
    put("name", e.def.task);
    put("queue", e.def.queue.empty() ? std::string(proto::default_queue) : e.def.queue);
    put("schedule", e.schedule.spec());
    put("zone", e.def.zone);
    put("missed", e.def.missed);
    put("paused", std::int64_t{e.paused ? 1 : 0});
    if (e.next_ms && !e.paused) {
        put("next_unix_ms", ms(*e.next_ms));
        put("next_in_ms", *e.next_ms >= now ? ms(*e.next_ms - now) : -ms(now - *e.next_ms));
    }
    put("last_unix_ms", ms(e.last_slot_ms));
    put("runs", ms(e.runs));
    put("skipped", ms(e.skipped));
    put("from_config", std::int64_t{e.from_config ? 1 : 0});
    return row;
}

void broker_core::on_periodic_admin(std::string_view identity, peer& p, const proto::admin& m) {
    proto::report answer;
    answer.what = m.action;
    const std::string who = p.user_id.empty() ? p.name : p.user_id;
    static constexpr std::string_view actions[] = {
        "periodic-add", "periodic-remove", "periodic-pause", "periodic-resume", "periodic-list"};
    if (std::find(std::begin(actions), std::end(actions), m.action) == std::end(actions)) {
        ++stats_.invalid_messages;
        send_error(identity, "bad_body",
                   fmt::format("ADMIN: unknown action '{}' (reload-keys, periodic-add, "
                               "periodic-remove, periodic-pause, periodic-resume, "
                               "periodic-list)",
                               m.action),
                   std::nullopt, proto::command::admin);
        return;
    }
    try {
        if (m.action == "periodic-list") {
            periodic_.for_each([&](const periodic_entry& e) {
                if (answer.rows.size() < report_max_rows) answer.rows.push_back(periodic_row(e));
            });
            send_windowed(p, answer);
            return;
        }
        const std::string name = param(m.params, "name");
        if (name.empty()) throw schedule_error("name: required");
        if (m.action == "periodic-add") {
            periodic_definition d;
            d.name = name;
            d.task = param(m.params, "task");
            d.queue = param(m.params, "queue");
            d.schedule = param(m.params, "schedule");
            d.zone = param(m.params, "zone", "UTC");
            d.missed = param(m.params, "missed", "run_once");
            d.args = m.payload;
            periodic_entry* kept = periodic_.find(name);
            if (kept == nullptr || kept->def != d) {
                // A new definition, or a changed one: its slots count from now.
                periodic_entry& e = periodic_.put(make_periodic_entry(d, epoch_ms()));
                e.next_ms = e.schedule.next_after(e.anchor_ms, e.anchor_ms);
                store_periodic(e);
                spdlog::info("shoal-broker: {} added periodic task '{}': {} {}", who, name, d.task,
                             e.schedule.spec());
            }
            answer.rows.push_back(periodic_row(*periodic_.find(name)));
        } else if (m.action == "periodic-remove") {
            periodic_entry* e = periodic_.find(name);
            if (e == nullptr) throw schedule_error(fmt::format("no periodic task '{}'", name));
            answer.rows.push_back(periodic_row(*e));
            periodic_.remove(name);
            if (durable_) durable_->stage_periodic(name, std::nullopt);
            spdlog::info("shoal-broker: {} removed periodic task '{}'", who, name);
        } else {  // periodic-pause, periodic-resume
            periodic_entry* e = periodic_.find(name);
            if (e == nullptr) throw schedule_error(fmt::format("no periodic task '{}'", name));
            const bool pause = m.action == "periodic-pause";
            if (e->paused != pause) {
                e->paused = pause;
                // Slots that pass while paused are not run at the resume: it goes on from now.
                if (!pause) {
                    const std::uint64_t now = epoch_ms();
                    const due_slots due =
                        slots_due(e->schedule, e->anchor_ms, e->last_slot_ms, now);
                    e->skipped += due.skipped + (due.run_slot_ms ? 1 : 0);
                    e->last_slot_ms = std::max(e->last_slot_ms, now);
                    e->next_ms = due.next_slot_ms;
                }
                store_periodic(*e);
            }
            answer.rows.push_back(periodic_row(*e));
        }
    } catch (const schedule_error& e) {
        send_error(identity, "bad_body", fmt::format("ADMIN {}: {}", m.action, e.what()),
                   std::nullopt, proto::command::admin);
        return;
    }
    arm_periodic_timer(std::nullopt);
    send_windowed(p, answer);
}

}  // namespace shoal::broker
