#include "inspect.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ha/broker_lease.hpp"

namespace shoal::broker {

namespace {

using proto::report_row;

void put(report_row& row, std::string_view key, std::int64_t value) {
    row.push_back({std::string(key), value});
}
void put(report_row& row, std::string_view key, std::uint64_t value) {
    row.push_back({std::string(key), static_cast<std::int64_t>(value)});
}
void put(report_row& row, std::string_view key, std::string value) {
    row.push_back({std::string(key), std::move(value)});
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& item : items) {
        if (!out.empty()) out += ',';
        out += item;
    }
    return out;
}

void workers(const inspect_sources& from, proto::report& out) {
    const auto& names = from.queues.task_names();
    for (const std::uint32_t slot : from.peers.worker_slots()) {
        if (out.rows.size() >= from.max_rows) break;
        const peer* p = from.peers.get(from.peers.ref_of(slot));
        if (p == nullptr) continue;
        const worker_info& w = p->worker;
        std::string tasks;
        for (const name_id n : w.offered) {
            if (!tasks.empty()) tasks += ',';
            tasks += names.name(n);
        }
        report_row row;
        put(row, "name", p->name);
        put(row, "version", p->software.empty() ? std::string("unknown") : p->software);
        put(row, "identity", to_hex(p->identity));
        put(row, "slots", std::uint64_t{w.slots});
        put(row, "prefetch", std::uint64_t{w.prefetch});
        put(row, "credit", w.credit.available());
        put(row, "held", w.credit.held());
        put(row, "done", w.done);
        put(row, "late", w.late);
        put(row, "draining", std::int64_t{w.draining ? 1 : 0});
        put(row, "unacked_bytes", p->unacked());
        put(row, "tasks", std::move(tasks));
        put(row, "queues", join(w.queues));
        put(row, "last_heard_ms",
            static_cast<std::int64_t>(std::llround((from.now - p->last_heard) * 1000.0)));
        out.rows.push_back(std::move(row));
    }
}

// Every queue that holds tasks or that a worker consumes, by name: a task waiting in a queue
// nobody consumes shows as a length with no consumers.
void queues(const inspect_sources& from, proto::report& out) {
    struct queue_view {
        std::uint64_t length = 0;
        std::uint64_t oldest_age_ms = 0;
        std::vector<std::string> consumers;  // worker names
    };
    std::map<std::string, queue_view> by_name;
    const auto& queue_names = from.queues.queue_names();
    const auto now_ms = static_cast<std::uint32_t>(static_cast<std::uint64_t>(from.now * 1000.0));
    for (name_id q = 0; q < queue_names.capacity(); ++q) {
        if (!queue_names.holds(q)) continue;  // released: no lane uses it any more
        queue_view& view = by_name[queue_names.name(q)];
        view.length = from.queues.live_in_queue(q);
        // The longest wait of a task next in its lane (revoked ones at a head are skipped).
        for (const lane_id id : from.queues.lanes_of_queue(q)) {
            const lane& l = from.queues.at(id);
            for (std::size_t i = 0; i < l.tasks.size() && i <= l.stale; ++i) {
                const queued_task& t = l.tasks[i];
                const task_entry* e = from.store.find(t.id);
                if (e == nullptr || e->done || e->seq != t.seq) continue;
                view.oldest_age_ms =
                    std::max<std::uint64_t>(view.oldest_age_ms, now_ms - t.enqueued_ms);
                break;
            }
        }
    }
    for (const std::uint32_t slot : from.peers.worker_slots()) {
        const peer* p = from.peers.get(from.peers.ref_of(slot));
        if (p == nullptr) continue;
        for (const std::string& q : p->worker.queues) by_name[q].consumers.push_back(p->name);
    }
    for (auto& [name, view] : by_name) {
        if (out.rows.size() >= from.max_rows) break;
        std::sort(view.consumers.begin(), view.consumers.end());
        report_row row;
        put(row, "name", name);
        put(row, "length", view.length);
        put(row, "oldest_age_ms", view.oldest_age_ms);
        put(row, "consumers", std::uint64_t{view.consumers.size()});
        put(row, "workers", join(view.consumers));
        out.rows.push_back(std::move(row));
    }
}

void active(const inspect_sources& from, proto::report& out) {
    from.inflight.for_each([&](const inflight_task& t) {
        if (out.rows.size() >= from.max_rows) return;
        const lane& l = from.queues.at(t.lane);
        const peer* w = from.peers.get(t.worker);
        report_row row;
        put(row, "task", t.task.id.to_hex());
        put(row, "name", from.queues.task_names().name(l.name));
        put(row, "queue", from.queues.queue_names().name(l.queue));
        put(row, "worker", w != nullptr ? w->name : std::string("(gone)"));
        put(row, "worker_identity", w != nullptr ? to_hex(w->identity) : std::string());
        put(row, "attempt", std::uint64_t{t.task.attempt});
        put(row, "revoked", std::int64_t{t.revoked ? 1 : 0});
        put(row, "started", std::int64_t{t.started ? 1 : 0});
        out.rows.push_back(std::move(row));
    });
}

void dead(const inspect_sources& from, proto::report& out) {
    from.dead.for_each([&](const dead_letter& d) {
        if (out.rows.size() >= from.max_rows) return;
        const lane& l = from.queues.at(d.lane);
        report_row row;
        put(row, "task", d.task.id.to_hex());
        put(row, "name", from.queues.task_names().name(l.name));
        put(row, "queue", from.queues.queue_names().name(l.queue));
        put(row, "priority", std::uint64_t{l.priority});
        put(row, "attempts", std::uint64_t{d.task.attempt});
        put(row, "deaths", std::uint64_t{d.task.deaths});
        put(row, "reason", d.reason);
        put(row, "age_s", static_cast<std::int64_t>(std::llround(from.now - d.at)));
        out.rows.push_back(std::move(row));
    });
}

void held(const inspect_sources& from, proto::report& out) {
    if (from.delayed == nullptr) return;
    from.delayed->for_each([&](double due, lane_id lane_of, const queued_task& t) {
        if (out.rows.size() >= from.max_rows) return;
        const task_entry* entry = from.store.find(t.id);
        if (entry == nullptr || entry->done || entry->seq != t.seq) return;  // revoked meanwhile
        const lane& l = from.queues.at(lane_of);
        const double in_s = due - from.now;
        report_row row;
        put(row, "task", t.id.to_hex());
        put(row, "name", from.queues.task_names().name(l.name));
        put(row, "queue", from.queues.queue_names().name(l.queue));
        put(row, "attempt", std::uint64_t{t.attempt});
        put(row, "due_in_ms", static_cast<std::int64_t>(std::llround(in_s * 1000.0)));
        put(row, "due_unix_ms",
            static_cast<std::int64_t>(from.wall_ms) +
                static_cast<std::int64_t>(std::llround(in_s * 1000.0)));
        out.rows.push_back(std::move(row));
    });
    if (from.waiting == nullptr) return;
    from.waiting->for_each([&](const proto::task_id& id, const waiting_task& t) {
        if (out.rows.size() >= from.max_rows) return;
        report_row row;
        put(row, "task", id.to_hex());
        put(row, "name", t.name);
        put(row, "queue", t.queue);
        put(row, "inputs_missing", std::uint64_t{t.missing});
        out.rows.push_back(std::move(row));
    });
}

// The tasks held for a time, each marked kind=held (INSPECT scheduled: the broker puts its
// periodic tasks' rows first).
void scheduled(const inspect_sources& from, proto::report& out) {
    if (from.delayed == nullptr) return;
    inspect_sources timed = from;
    timed.waiting = nullptr;  // no time to show for tasks waiting on their inputs
    held(timed, out);
    for (report_row& row : out.rows) row.insert(row.begin(), {"kind", std::string("held")});
}

void limits(const inspect_sources& from, proto::report& out) {
    from.rates.for_each([&](name_id n, double per_second, double) {
        if (out.rows.size() >= from.max_rows) return;
        report_row row;
        put(row, "name", from.queues.task_names().name(n));
        put(row, "per_second", fmt::format("{:g}", per_second));
        out.rows.push_back(std::move(row));
    });
}

void stats(const inspect_sources& from, proto::report& out) {
    const broker_stats& s = from.stats;
    report_row row;
    put(row, "submitted", s.submitted);
    put(row, "duplicates", s.duplicates);
    put(row, "refused", s.refused);
    put(row, "dispatched", s.dispatched);
    put(row, "completed", s.completed);
    put(row, "late_results", s.late_results);
    put(row, "revoked_results", s.revoked_results);
    put(row, "requeued", s.requeued);
    put(row, "revoked", s.revoked);
    put(row, "unknown_task", s.unknown_task);
    put(row, "lost", s.lost);
    put(row, "dead_lettered", s.dead_lettered);
    put(row, "requeued_dead", s.requeued_dead);
    put(row, "retried", s.retried);
    put(row, "expired_tasks", s.expired_tasks);
    put(row, "expired", s.expired);
    put(row, "workers_dead", s.workers_dead);
    put(row, "clients_dead", s.clients_dead);
    put(row, "invalid_messages", s.invalid_messages);
    put(row, "unexpected_messages", s.unexpected_messages);
    put(row, "repeated_hellos", s.repeated_hellos);
    put(row, "foreign_results", s.foreign_results);
    put(row, "undelivered", s.undelivered);
    put(row, "recovered", s.recovered);
    put(row, "unavailable", s.unavailable);
    put(row, "busy", s.busy);
    put(row, "output_dropped", s.output_dropped);
    put(row, "tasks_returned", s.tasks_returned);
    put(row, "deaths_spared", s.deaths_spared);
    put(row, "forbidden", s.forbidden);
    put(row, "auth_accepted", s.auth_accepted);
    put(row, "auth_refused", s.auth_refused);
    put(row, "event_subscribers", s.event_subscribers);
    put(row, "events_published", s.events_published);
    put(row, "events_dropped", s.events_dropped);
    put(row, "periodic_fired", s.periodic_fired);
    put(row, "periodic_refused", s.periodic_refused);
    put(row, "security", std::string(from.security));
    put(row, "peers", std::uint64_t{from.peers.size()});
    put(row, "workers", std::uint64_t{from.peers.worker_count()});
    put(row, "clients", std::uint64_t{from.peers.client_count()});
    put(row, "queued", std::uint64_t{from.queues.live_total()});
    put(row, "held", std::uint64_t{from.held});
    put(row, "waiting_for_inputs", std::uint64_t{from.waiting ? from.waiting->size() : 0});
    put(row, "active", std::uint64_t{from.inflight.size()});
    put(row, "dead", std::uint64_t{from.dead.size()});
    put(row, "pending", std::uint64_t{from.store.pending_count()});
    put(row, "results", std::uint64_t{from.store.done_count()});
    put(row, "tombstones", std::uint64_t{from.store.tombstone_count()});
    put(row, "lanes", std::uint64_t{from.queues.live_lane_count()});
    put(row, "task_names", std::uint64_t{from.queues.task_names().size()});
    put(row, "queue_names", std::uint64_t{from.queues.queue_names().size()});
    put(row, "tombstones_forgotten_early", from.store.tombstones_forgotten_early());
    // The budgets: what is used, and the bound (broker/README.md, "Budgets").
    put(row, "queued_bytes", from.store.queued_bytes());
    put(row, "max_queued_bytes", from.budgets.max_queued_bytes);
    put(row, "result_bytes", from.store.result_bytes());
    put(row, "max_result_bytes", from.budgets.max_result_bytes);
    put(row, "window_bytes", from.budgets.window_bytes);
    put(row, "unacked_bytes_max", from.unacked_bytes_max);
    put(row, "redis", std::string(from.redis_state));
    put(row, "results_unwritten", std::uint64_t{from.results_unwritten});
    out.rows.push_back(std::move(row));
}

// The broker asked (only the active broker answers; a standby sends peers on), then the
// standbys it heard of lately.
void brokers(const inspect_sources& from, proto::report& out) {
    const auto& self = from.self;
    proto::report_row row;
    put(row, "name", self.name);
    put(row, "endpoint", self.endpoint);
    put(row, "role", std::string(self.role));
    put(row, "epoch", lease_epoch(self.lease_token));
    put(row, "lease_ms", std::uint64_t{self.lease_ms});
    put(row, "redis", std::string(from.redis_state));
    put(row, "seen_ms_ago", std::uint64_t{0});
    out.rows.push_back(std::move(row));
    for (const auto& other : from.standbys) {
        proto::report_row r;
        put(r, "name", other.name);
        put(r, "endpoint", other.endpoint);
        put(r, "role", std::string("standby"));
        put(r, "epoch", std::uint64_t{0});
        put(r, "lease_ms", std::uint64_t{self.lease_ms});
        put(r, "redis", std::string(from.redis_state));
        put(r, "seen_ms_ago", other.seen_ms_ago);
        out.rows.push_back(std::move(r));
    }
}

}  // namespace

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

std::optional<proto::report> build_report(std::string_view what, const inspect_sources& from) {
    proto::report out;
    out.what = std::string(what);
    if (what == "workers") {
        workers(from, out);
    } else if (what == "queues") {
        queues(from, out);
    } else if (what == "active") {
        active(from, out);
    } else if (what == "dead") {
        dead(from, out);
    } else if (what == "held") {
        held(from, out);
    } else if (what == "scheduled") {
        scheduled(from, out);
    } else if (what == "limits") {
        limits(from, out);
    } else if (what == "stats") {
        stats(from, out);
    } else if (what == "brokers") {
        brokers(from, out);
    } else {
        return std::nullopt;
    }
    return out;
}

}  // namespace shoal::broker
