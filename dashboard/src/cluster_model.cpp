#include "shoal/dashboard/cluster_model.hpp"

#include <algorithm>

namespace shoal::dashboard {

namespace {

// A clock this far below the last one is a broker that started over, not a late event.
constexpr std::uint64_t restart_gap = 1000;

}  // namespace

model_state::model_state(std::size_t max_tasks) : tasks(max_tasks, strings) {}

cluster_model::cluster_model(std::size_t max_tasks) : state_(max_tasks) {}

void cluster_model::apply(const event_batch& batch) {
    std::lock_guard lock(mutex_);
    state_.events_dropped = std::max(state_.events_dropped, batch.dropped);
    if (state_.events_status == "connecting" || state_.events_status == "disconnected") {
        state_.events_status = "live";
    }
    for (const cluster_event& event : batch.events) {
        if (auto fields = decode_event(event)) apply_locked(*fields);
    }
}

void cluster_model::apply(const event_fields& e) {
    std::lock_guard lock(mutex_);
    apply_locked(e);
}

std::uint64_t cluster_model::order_of(std::uint64_t clock) {
    model_state& s = state_;
    if (clock == 0) return ++s.last_order;
    if (s.last_clock != 0 && (clock == 1 || clock + restart_gap < s.last_clock)) {
        s.epoch_base = s.last_order;
        ++s.broker_restarts;
        s.last_clock = clock;
    } else if (clock > s.last_clock) {
        if (s.last_clock != 0 && clock > s.last_clock + 1) s.clock_gaps += clock - s.last_clock - 1;
        s.last_clock = clock;
    }
    const std::uint64_t order = s.epoch_base + clock;
    s.last_order = std::max(s.last_order, order);
    return order;
}

void cluster_model::apply_locked(const event_fields& e) {
    model_state& s = state_;
    const std::uint64_t order = order_of(e.clock);
    ++s.events_received;
    s.last_event_at = std::max(s.last_event_at, e.timestamp);
    if (e.type.starts_with("worker-")) {
        s.workers.apply(e, order);
        return;
    }
    if (!e.type.starts_with("task-")) return;
    s.tasks.apply(e, order);
    if (!e.name.empty() && s.task_names.size() < model_state::max_task_names) {
        s.task_names.insert(e.name);
    }
    if (e.type == "task-sent") {
        s.sent.add(e.timestamp);
        s.queues.task_in(e.queue, e.timestamp);
    } else if (e.type == "task-received") {
        // Out of its queue: dispatched to a worker. The queue is the one its task-sent named.
        if (const auto id = proto::task_id::from_hex(e.uuid)) {
            if (const task_record* r = s.tasks.find(*id); r != nullptr && r->queue != no_string) {
                s.queues.task_out(s.strings.text(r->queue), e.timestamp);
            }
        }
    } else if (e.type == "task-succeeded") {
        s.succeeded.add(e.timestamp);
    } else if (e.type == "task-failed" || e.type == "task-dead-lettered") {
        if (e.type == "task-dead-lettered" || e.exception_type != "dead_letter") {
            s.failed.add(e.timestamp);
        }
    } else if (e.type == "task-retried") {
        s.retried.add(e.timestamp);
    }
}

std::uint64_t cluster_model::order_now() const {
    std::lock_guard lock(mutex_);
    return state_.last_order;
}

inspect_snapshot* cluster_model::snapshot_of(const std::string& what) {
    if (what == "workers") return &state_.workers_inspect;
    if (what == "queues") return &state_.queues_inspect;
    if (what == "dead") return &state_.dead;
    if (what == "limits") return &state_.limits;
    if (what == "stats") return &state_.stats;
    return nullptr;
}

void cluster_model::apply_report(const proto::report& report, std::uint64_t asked_order,
                                 double now) {
    std::lock_guard lock(mutex_);
    inspect_snapshot* snap = snapshot_of(report.what);
    if (snap == nullptr) return;
    snap->error.clear();
    snap->error_code.clear();
    snap->at = now;
    if (report.what == "workers") {
        state_.workers.apply_inspect(report, asked_order, now);
    } else if (report.what == "queues") {
        state_.queues.apply_inspect(report, now);
        state_.depth.set(now, static_cast<double>(state_.queues.total_length()));
    }
    snap->report = report;
}

void cluster_model::report_failed(const std::string& what, std::string code, std::string message,
                                  double now) {
    std::lock_guard lock(mutex_);
    inspect_snapshot* snap = snapshot_of(what);
    if (snap == nullptr) return;
    snap->error_code = std::move(code);
    snap->error = std::move(message);
    snap->at = now;
    // A refusal is lasting (the key's role): what was shown before is no longer true.
    if (snap->error_code == "forbidden") snap->report.reset();
}

void cluster_model::set_events_status(std::string status, std::string error) {
    std::lock_guard lock(mutex_);
    state_.events_status = std::move(status);
    state_.events_error = std::move(error);
}

void cluster_model::set_connected(bool up) {
    std::lock_guard lock(mutex_);
    if (state_.events_status == "refused" || state_.events_status == "closed") return;
    state_.events_status = up ? "live" : "disconnected";
}

}  // namespace shoal::dashboard
