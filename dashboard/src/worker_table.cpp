#include "shoal/dashboard/worker_table.hpp"

#include <algorithm>
#include <set>

#include "report_fields.hpp"

namespace shoal::dashboard {

worker_record& worker_table::find_or_add(const std::string& hostname, double now) {
    auto [it, added] = workers_.try_emplace(hostname);
    if (added) {
        it->second.hostname = hostname;
        it->second.first_seen = now;
        trim();
    }
    return it->second;
}

void worker_table::trim() {
    while (workers_.size() > max_workers) {
        auto oldest = workers_.end();
        for (auto it = workers_.begin(); it != workers_.end(); ++it) {
            if (it->second.online) continue;
            if (oldest == workers_.end() ||
                it->second.last_heartbeat < oldest->second.last_heartbeat) {
                oldest = it;
            }
        }
        if (oldest == workers_.end()) return;  // all online: a real cluster that big
        workers_.erase(oldest);
    }
}

std::size_t worker_table::online() const noexcept {
    return static_cast<std::size_t>(std::count_if(workers_.begin(), workers_.end(),
                                                  [](const auto& kv) { return kv.second.online; }));
}

void worker_table::apply(const event_fields& e, std::uint64_t order) {
    if (!e.type.starts_with("worker-") || e.hostname.empty()) return;
    worker_record& w = find_or_add(e.hostname, e.timestamp);
    if (order < w.heard_order) return;  // older than what we know
    w.heard_order = order;
    w.last_heartbeat = std::max(w.last_heartbeat, e.timestamp);
    if (!e.sw_ver.empty()) w.version = e.sw_ver;
    if (e.freq) w.freq = *e.freq;
    if (e.load) w.load = *e.load;
    if (e.active) w.active = *e.active;
    if (e.processed) w.processed = *e.processed;
    if (e.slots) w.slots = *e.slots;
    if (e.type == "worker-offline") {
        w.online = false;
        w.offline_reason = e.reason.empty() ? "offline" : e.reason;
        w.active = 0;
        w.load = 0;
    } else {
        w.online = true;
        w.offline_reason.clear();
    }
}

void worker_table::apply_inspect(const proto::report& report, std::uint64_t asked_order,
                                 double now) {
    std::set<std::string> listed;
    for (const proto::report_row& row : report.rows) {
        const std::string name = detail::text_field(row, "name");
        if (name.empty()) continue;
        listed.insert(name);
        worker_record& w = find_or_add(name, now);
        if (w.heard_order > asked_order && !w.online) continue;  // went offline since
        w.online = true;
        w.offline_reason.clear();
        if (auto v = detail::text_field(row, "version"); !v.empty()) w.version = v;
        if (auto n = detail::int_field(row, "slots")) w.slots = static_cast<std::uint64_t>(*n);
        if (auto n = detail::int_field(row, "prefetch"))
            w.prefetch = static_cast<std::uint64_t>(*n);
        if (auto n = detail::int_field(row, "held")) {
            w.active = static_cast<std::uint64_t>(*n);
            w.load = w.slots == 0 ? 0.0
                                  : static_cast<double>(std::min(w.active, w.slots)) /
                                        static_cast<double>(w.slots);
        }
        if (auto n = detail::int_field(row, "done")) w.processed = static_cast<std::uint64_t>(*n);
        if (auto n = detail::int_field(row, "draining")) w.draining = *n != 0;
        w.queues = detail::text_field(row, "queues");
        w.tasks = detail::text_field(row, "tasks");
        if (auto ms = detail::int_field(row, "last_heard_ms")) {
            w.last_heartbeat = std::max(w.last_heartbeat, now - static_cast<double>(*ms) / 1000.0);
        }
    }
    for (auto& [name, w] : workers_) {
        if (!w.online || listed.contains(name) || w.heard_order > asked_order) continue;
        w.online = false;
        w.offline_reason = "no longer listed by the broker";
        w.active = 0;
        w.load = 0;
    }
}

}  // namespace shoal::dashboard
