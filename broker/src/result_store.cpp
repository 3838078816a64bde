#include "result_store.hpp"

#include <algorithm>

namespace shoal::broker {

// The store's memory per task (result_store.hpp) is mostly this entry: keep it from growing
// unnoticed. (On LP64 with libstdc++; elsewhere the figure differs and the check is moot.)
static_assert(sizeof(void*) != 8 || sizeof(std::string) != 32 || sizeof(task_entry) <= 80,
              "task_entry grew: every pending and done task pays for it");

namespace {
// Headers and the expiry record beside a result's own bytes.
constexpr std::uint64_t outcome_overhead_bytes = 48;
}  // namespace

std::uint64_t outcome_bytes(const proto::outcome& o) noexcept {
    return outcome_overhead_bytes + o.payload.size() + o.error.type.size() +
           o.error.message.size() + o.error.where.size();
}

result_store::result_store(const shoal::clock& clock, result_store_limits limits)
    : clock_(clock), limits_(limits), tombstones_(limits.max_tombstones) {}

task_entry* result_store::find(const proto::task_id& id) { return entries_.find(id); }

const task_entry* result_store::find(const proto::task_id& id) const { return entries_.find(id); }

std::pair<task_entry*, bool> result_store::add_pending(const proto::task_id& id) {
    return entries_.try_emplace(id);
}

void result_store::charge(task_entry& entry, std::uint32_t bytes) {
    queued_bytes_ -= std::min<std::uint64_t>(queued_bytes_, entry.charge);
    entry.charge = bytes;
    queued_bytes_ += bytes;
}

bool result_store::complete(task_entry& entry, proto::outcome&& o) {
    if (entry.done) return false;
    entry.done = true;
    queued_bytes_ -= std::min<std::uint64_t>(queued_bytes_, entry.charge);
    entry.charge = 0;
    entry.status = o.status;
    const std::uint64_t bytes = outcome_bytes(o);
    if (o.status == proto::task_status::ok) {
        entry.payload = std::move(o.payload);
    } else {
        std::string().swap(entry.payload);  // the arguments go now
        entry.error = std::make_unique<proto::error_info>(std::move(o.error));
    }
    result_bytes_ += bytes;
    expiry_.push_back({clock_.now() + limits_.ttl_s, o.id, bytes});
    return true;
}

bool result_store::forget_pending(const proto::task_id& id) {
    task_entry* entry = entries_.find(id);
    if (entry == nullptr || entry->done) return false;
    queued_bytes_ -= std::min<std::uint64_t>(queued_bytes_, entry->charge);
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
    out.state =
        tombstones_.contains(id) ? proto::result_state::expired : proto::result_state::unknown;
    return out;
}

bool result_store::due(const expiry& e, double now) const noexcept {
    return e.at <= now || expiry_.size() > limits_.max_results ||
           result_bytes_ > limits_.max_result_bytes;
}

bool result_store::more_to_expire() const noexcept {
    return !expiry_.empty() && due(expiry_.front(), clock_.now());
}

std::size_t result_store::expire(std::size_t max) {
    const double now = clock_.now();
    std::size_t expired = 0;
    while (expired < max && !expiry_.empty() && due(expiry_.front(), now)) {
        const expiry e = expiry_.front();
        expiry_.pop_front();
        result_bytes_ -= std::min(result_bytes_, e.bytes);
        // Entries leave only through here, so the entry is this one, done.
        const task_entry* entry = entries_.find(e.id);
        const std::uint64_t body = entry != nullptr ? entry->body_hash : 0;
        entries_.erase(e.id);
        // Remembered until the dedup window, counted from when it finished, ends; and for at
        // least another TTL, so that FETCH can say `expired` for a while whatever the window.
        const double finished_at = e.at - limits_.ttl_s;
        tombstones_.add(e.id, body,
                        std::max(now + limits_.ttl_s, finished_at + limits_.dedup_window_s));
        ++expired;
    }
    tombstones_.trim(now);
    // The broker holds no task_entry* across ticks, so values may move now.
    if (expired > 0) entries_.compact_if_sparse();
    return expired;
}

}  // namespace shoal::broker
