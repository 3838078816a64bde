#include "shoal/broker/inflight_table.hpp"

#include <algorithm>

namespace shoal::broker {

inflight_task& inflight_table::add(peer_ref worker, lane_id lane, queued_task&& task) {
    const proto::task_id id = task.id;
    inflight_task& entry = tasks_[id];
    entry.task = std::move(task);
    entry.lane = lane;
    entry.worker = worker;
    entry.revoked = false;
    return entry;
}

inflight_task* inflight_table::find(const proto::task_id& id) {
    const auto it = tasks_.find(id);
    return it == tasks_.end() ? nullptr : &it->second;
}

done_verdict inflight_table::take_done(const proto::task_id& id, std::uint32_t attempt,
                                       inflight_task& taken) {
    const auto it = tasks_.find(id);
    if (it == tasks_.end() || it->second.task.attempt != attempt) return done_verdict::late;
    const bool revoked = it->second.revoked;
    taken = std::move(it->second);
    tasks_.erase(it);
    return revoked ? done_verdict::revoked : done_verdict::current;
}

bool inflight_table::remove(const proto::task_id& id, inflight_task* taken) {
    const auto it = tasks_.find(id);
    if (it == tasks_.end()) return false;
    if (taken != nullptr) *taken = std::move(it->second);
    tasks_.erase(it);
    return true;
}

std::vector<inflight_task> inflight_table::take_all_of(peer_ref worker) {
    std::vector<inflight_task> out;
    for (auto it = tasks_.begin(); it != tasks_.end();) {
        if (it->second.worker == worker) {
            out.push_back(std::move(it->second));
            it = tasks_.erase(it);
        } else {
            ++it;
        }
    }
    std::sort(out.begin(), out.end(), [](const inflight_task& a, const inflight_task& b) {
        return a.task.seq > b.task.seq;
    });
    return out;
}

}  // namespace shoal::broker
