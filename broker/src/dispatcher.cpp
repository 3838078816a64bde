#include "dispatcher.hpp"

#include <algorithm>

#include "shoal/common/detail/hop_trace.hpp"

namespace shoal::broker {

namespace {
// Bytes a DISPATCH entry takes besides its name and payload (id, attempt, options, headers).
constexpr std::size_t entry_overhead_bytes = 48;
}  // namespace

bool dispatcher::is_live(const queued_task& t) const {
    const task_entry* e = store_.find(t.id);
    return e != nullptr && !e->done && e->seq == t.seq;
}

std::size_t dispatcher::fill(const peer& w, peer_ref ref, std::size_t max, std::size_t max_bytes,
                             double now, dispatch_batch& out) {
    out.clear();
    if (max == 0) return 0;
    lanes_of(w, lanes_);
    return take(lanes_, ref, max, max_bytes, now, out);
}

void dispatcher::lanes_of(const peer& w, std::vector<lane_id>& out) {
    out.clear();
    // The queues it consumes that hold lanes now (an id is interned while a lane uses it).
    consumed_.clear();
    for (const std::string& q : w.worker.queues) {
        if (const auto id = queues_.queue_names().find(q)) consumed_.push_back(*id);
    }
    if (consumed_.empty()) return;
    const auto consumes = [this](name_id queue) {
        return std::find(consumed_.begin(), consumed_.end(), queue) != consumed_.end();
    };
    for (const name_id n : w.worker.offered) {
        for (const lane_id l : queues_.lanes_of_name(n)) {
            if (consumes(queues_.at(l).queue)) out.push_back(l);
        }
    }
}

std::size_t dispatcher::take(std::span<const lane_id> lanes, peer_ref ref, std::size_t max,
                             std::size_t max_bytes, double now, dispatch_batch& out) {
    if (max == 0 || lanes.empty() || out.full) return 0;
    const auto& names = queues_.task_names();
    return queues_.take_oldest(
        lanes, max, [this](const queued_task& t) { return is_live(t); },
        [&](lane_id lane_of, queued_task& t) {
            task_entry* owner = store_.find(t.id);
            if (owner == nullptr)
                return task_queues::take_result::skip_lane;  // cannot happen: live
            const name_id name_of = queues_.at(lane_of).name;
            const std::string& name = names.name(name_of);
            const std::size_t bytes = owner->payload.size() + name.size() + entry_overhead_bytes;
            if (!out.entries.empty() && out.bytes + bytes > max_bytes) {
                out.full = true;
                return task_queues::take_result::stop;
            }
            if (rates_.limited(name_of) && !rates_.try_take(name_of, now)) {
                return task_queues::take_result::skip_lane;
            }
            out.bytes += bytes;
            proto::dispatched_task& d = out.message.tasks.emplace_back();
            d.id = t.id;
            hop_trace::record(hop_trace::hop::broker_dispatch, d.id.as_bytes());
            d.name = name;
            d.payload = std::move(owner->payload);
            d.attempt = t.attempt;
            if (t.extras) {
                d.options.time_limit_ms = t.extras->time_limit_ms;
                d.options.soft_time_limit_ms = t.extras->soft_time_limit_ms;
                if (t.extras->chunk) d.options.chunk = true;
            }
            out.owners.push_back(owner);
            out.entries.push_back(&inflight_.add(ref, lane_of, std::move(t)));
            return task_queues::take_result::taken;
        });
}

void dispatcher::restore(dispatch_batch& batch) {
    for (std::size_t i = 0; i < batch.owners.size(); ++i) {
        batch.owners[i]->payload = std::move(batch.message.tasks[i].payload);
    }
}

void dispatcher::undo(std::span<dispatch_batch* const> batches) {
    returned_.clear();
    for (dispatch_batch* batch : batches) {
        restore(*batch);
        for (const proto::dispatched_task& d : batch->message.tasks) {
            inflight_task taken;
            if (inflight_.remove(d.id, &taken)) returned_.push_back(std::move(taken));
        }
        batch->clear();
    }
    // Highest seq first, so that pushing to the front leaves each lane in order.
    std::sort(
        returned_.begin(), returned_.end(),
        [](const inflight_task& a, const inflight_task& b) { return a.task.seq > b.task.seq; });
    for (inflight_task& t : returned_) queues_.push_front(t.lane, std::move(t.task));
    returned_.clear();
}

}  // namespace shoal::broker
