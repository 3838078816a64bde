#include "inflight_table.hpp"

#include <algorithm>

namespace shoal::broker {

inflight_task& inflight_table::add(peer_ref worker, lane_id lane, queued_task&& task) {
    inflight_task& entry = *tasks_.try_emplace(task.id).first;
    entry.task = std::move(task);
    entry.lane = lane;
    entry.worker = worker;
    entry.dispatch_no = next_dispatch_no_++;
    entry.revoked = false;
    entry.started = false;
    return entry;
}

bool inflight_table::mark_started(const proto::task_id& id, std::uint32_t attempt) {
    inflight_task* entry = tasks_.find(id);
    if (entry == nullptr || entry->task.attempt != attempt) return false;
    entry->started = true;
    return true;
}

inflight_task* inflight_table::find(const proto::task_id& id) { return tasks_.find(id); }

done_verdict inflight_table::take_done(const proto::task_id& id, std::uint32_t attempt,
                                       inflight_task& taken) {
    inflight_task* entry = tasks_.find(id);
    if (entry == nullptr || entry->task.attempt != attempt) return done_verdict::late;
    const bool revoked = entry->revoked;
    taken = std::move(*entry);
    tasks_.erase(id);
    return revoked ? done_verdict::revoked : done_verdict::current;
}

bool inflight_table::remove(const proto::task_id& id, inflight_task* taken) {
    inflight_task* entry = tasks_.find(id);
    if (entry == nullptr) return false;
    if (taken != nullptr) *taken = std::move(*entry);
    tasks_.erase(id);
    return true;
}

std::vector<inflight_task> inflight_table::take_all_of(peer_ref worker) {
    std::vector<proto::task_id> ids;
    tasks_.for_each([&](const proto::task_id& id, const inflight_task& t) {
        if (t.worker == worker) ids.push_back(id);
    });
    std::vector<inflight_task> out;
    out.reserve(ids.size());
    for (const proto::task_id& id : ids) {
        out.push_back(std::move(*tasks_.find(id)));
        tasks_.erase(id);
    }
    std::sort(out.begin(), out.end(), [](const inflight_task& a, const inflight_task& b) {
        return a.task.seq > b.task.seq;
    });
    return out;
}

}  // namespace shoal::broker
