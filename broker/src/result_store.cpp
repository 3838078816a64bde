#include "shoal/broker/result_store.hpp"

namespace shoal::broker {

result_store::result_store(const shoal::clock& clock, result_store_limits limits)
    : clock_(clock), limits_(limits), tombstones_(limits.max_tombstones, limits.ttl_s) {}

task_entry* result_store::find(const proto::task_id& id) { return entries_.find(id); }

const task_entry* result_store::find(const proto::task_id& id) const { return entries_.find(id); }

std::pair<task_entry*, bool> result_store::add_pending(const proto::task_id& id) {
    return entries_.try_emplace(id);
}

bool result_store::complete(task_entry& entry, proto::outcome&& o) {
    if (entry.done) return false;
    entry.done = true;
    entry.status = o.status;
    if (o.status == proto::task_status::ok) {
        entry.payload = std::move(o.payload);
    } else {
        entry.error = std::make_unique<proto::error_info>(std::move(o.error));
    }
    expiry_.push_back({clock_.now() + limits_.ttl_s, o.id});
    return true;
}

bool result_store::forget_pending(const proto::task_id& id) {
    const task_entry* entry = entries_.find(id);
    if (entry == nullptr || entry->done) return false;
    return entries_.erase(id);
}

proto::outcome result_store::outcome_of(const proto::task_id& id, const task_entry& entry) {
    proto::outcome o;
    o.id = id;
    o.status = entry.status;
    if (entry.status == proto::task_status::ok) {
        o.payload = entry.payload;
    } else if (entry.error) {
        o.error = *entry.error;
    }
    return o;
}

proto::result_state result_store::state_of(const proto::task_id& id) const {
    if (const task_entry* e = find(id)) {
        return e->done ? proto::result_state::done : proto::result_state::pending;
    }
    return tombstones_.contains(id) ? proto::result_state::expired : proto::result_state::unknown;
}

proto::fetched_entry result_store::fetch(const proto::task_id& id) const {
    proto::fetched_entry out;
    out.id = id;
    if (const task_entry* e = find(id)) {
        out.state = e->done ? proto::result_state::done : proto::result_state::pending;
        if (e->done) out.result = outcome_of(id, *e);
        return out;
    }
    out.state = tombstones_.contains(id) ? proto::result_state::expired
                                         : proto::result_state::unknown;
    return out;
}

std::size_t result_store::expire() {
    const double now = clock_.now();
    std::size_t expired = 0;
    while (!expiry_.empty() &&
           (expiry_.front().at <= now || expiry_.size() > limits_.max_results)) {
        const proto::task_id id = expiry_.front().id;
        expiry_.pop_front();
        // Entries leave only through here, so the entry is this one, done.
        entries_.erase(id);
        tombstones_.add(id, now);
        ++expired;
    }
    tombstones_.trim(now);
    // The broker holds no task_entry* across ticks, so values may move now.
    if (expired > 0) entries_.compact_if_sparse();
    return expired;
}

}  // namespace shoal::broker
