#include "shoal/dashboard/queue_table.hpp"

#include <set>

#include "report_fields.hpp"

namespace shoal::dashboard {

queue_record* queue_table::find_or_add(const std::string& name) {
    if (name.empty()) return nullptr;
    if (auto it = queues_.find(name); it != queues_.end()) return &it->second;
    if (queues_.size() >= max_queues) return nullptr;
    queue_record& q = queues_[name];
    q.name = name;
    return &q;
}

void queue_table::task_in(const std::string& queue, double t) {
    if (queue_record* q = find_or_add(queue)) q->in.add(t);
}

void queue_table::task_out(const std::string& queue, double t) {
    if (queue_record* q = find_or_add(queue)) q->out.add(t);
}

void queue_table::apply_inspect(const proto::report& report, double now) {
    std::set<std::string> listed;
    for (const proto::report_row& row : report.rows) {
        const std::string name = detail::text_field(row, "name");
        queue_record* q = find_or_add(name);
        if (q == nullptr) continue;
        listed.insert(name);
        q->listed = true;
        q->length = detail::int_field(row, "length").value_or(0);
        q->consumers = detail::int_field(row, "consumers").value_or(0);
        q->workers = detail::text_field(row, "workers");
        q->oldest_age_ms = detail::int_field(row, "oldest_age_ms");
    }
    for (auto it = queues_.begin(); it != queues_.end();) {
        queue_record& q = it->second;
        if (!listed.contains(it->first)) {
            q.listed = false;
            q.length = 0;
            q.consumers = 0;
            q.workers.clear();
            q.oldest_age_ms.reset();
            // Kept while it has traffic in the last minute.
            if (!q.in.any_since(now) && !q.out.any_since(now)) {
                it = queues_.erase(it);
                continue;
            }
        }
        ++it;
    }
}

std::int64_t queue_table::total_length() const noexcept {
    std::int64_t total = 0;
    for (const auto& [name, q] : queues_) total += q.length;
    return total;
}

}  // namespace shoal::dashboard
