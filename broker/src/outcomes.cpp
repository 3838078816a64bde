// Finishing tasks: the outcome is stored for the TTL and pushed to the submitting client
// (and to clients that asked about it), batched per client per wake-up (PROTOCOL.md 5.3).

#include <algorithm>

#include "broker_core.hpp"
#include "shoal/common/detail/hop_trace.hpp"

namespace shoal::broker {

namespace {

constexpr std::size_t max_watchers_per_task = 16;
// Keep a peer's reusable buffers across wake-ups unless a burst made them this large.
constexpr std::size_t max_kept_capacity = 4096;

}  // namespace

void broker_core::finish(const proto::task_id& id, task_entry& entry, proto::outcome&& o,
                         const ran_on& ran) {
    o.id = id;
    if (entry.awaiting_inputs) {
        entry.awaiting_inputs = false;  // revoked, expired or failed by an input meanwhile
        inputs_.forget(id);
    }
    emit_finished(id, entry, o, ran);
    if (entry.has_lane) {
        switch (o.status) {
            case proto::task_status::ok:
                count_task(entry, task_event::succeeded);
                break;
            case proto::task_status::failed:
            case proto::task_status::lost:
                count_task(entry, task_event::failed);
                break;
            case proto::task_status::revoked:
                count_task(entry, task_event::revoked);
                break;
            case proto::task_status::expired:
                count_task(entry, task_event::expired);
                break;
            case proto::task_status::unknown_task:
                break;  // counted `rejected` where it is decided (fail_if_unknown_name)
        }
    }
    if (durable_) {
        // Shown to nobody (RESULT, FETCH, a repeated SUBMIT) before Redis has it
        // (on_results_stored): a result a client saw is never one a broker restart could
        // forget and a second run replace.
        durable_->stage_result(id,
                               encode_result_record(entry.body_hash, o, owners_.name(entry.owner)));
        store_.complete(entry, std::move(o));
        entry.unconfirmed = true;
        return;
    }
    tell(id, entry.recipient, o);
    store_.complete(entry, std::move(o));
    result_final(id);
}

void broker_core::tell(const proto::task_id& id, peer_ref recipient, const proto::outcome& o) {
    push_result(recipient, o);
    if (watchers_.empty()) return;
    if (const auto it = watchers_.find(id); it != watchers_.end()) {
        for (const peer_ref w : it->second) {
            if (w != recipient) push_result(w, o);
        }
        watchers_.erase(it);
    }
}

void broker_core::finish_by_broker(const proto::task_id& id, task_entry& entry,
                                   proto::task_status status, std::string code,
                                   std::string message) {
    proto::outcome o;
    o.id = id;
    o.status = status;
    o.error = proto::error_info{std::move(code), std::move(message), "broker"};
    finish(id, entry, std::move(o));
}

void broker_core::push_result(peer_ref to, const proto::outcome& o) {
    peer* p = peers_.get(to);
    // A client that is gone finds its results in the store (FETCH after reconnecting).
    if (p == nullptr || p->role != proto::peer_role::client) return;
    p->results_out.push_back(o);
    p->results_out_bytes += outcome_bytes(o);
    queue_flush(to, *p);
}

void broker_core::watch(const proto::task_id& id, peer_ref client) {
    std::vector<peer_ref>& list = watchers_[id];
    if (list.size() >= max_watchers_per_task) return;
    if (std::find(list.begin(), list.end(), client) == list.end()) list.push_back(client);
}

void broker_core::queue_flush(peer_ref ref, peer& p) {
    if (p.flush_pending) return;
    p.flush_pending = true;
    flush_list_.push_back(ref);
}

void broker_core::flush() {
    for (const peer_ref ref : flush_list_) {
        peer* p = peers_.get(ref);
        if (p == nullptr) continue;
        p->flush_pending = false;
        if (!p->results_out.empty()) flush_results(*p);
        if (!p->cancels_out.empty()) flush_cancels(*p, p->cancels_out, false);
        if (!p->terminates_out.empty()) flush_cancels(*p, p->terminates_out, true);
    }
    flush_list_.clear();
}

void broker_core::flush_results(peer& p) {
    // One RESULT per client per wake-up, split only past max_batch or the message size.
    auto& out = result_batch_.outcomes;
    out.clear();
    std::size_t bytes = 0;
    // Within the client's output window: what does not fit is dropped (the results stay
    // fetchable, and the client is told once it reads again). A batch is cut where the window
    // ends, even when nothing is outstanding: only a single result larger than the whole
    // window goes past it, alone (fits_window).
    bool open = true;
    for (proto::outcome& o : p.results_out) {
        const std::size_t size = outcome_bytes(o);
        if (!out.empty() && (out.size() >= config_.max_batch || bytes + size > message_budget() ||
                             p.unacked() + bytes + size > config_.window_bytes)) {
            open = send_windowed(p, result_batch_);
            out.clear();
            bytes = 0;
            if (!open) break;
        }
        bytes += size;
        hop_trace::record(hop_trace::hop::broker_result, o.id.as_bytes());
        out.push_back(std::move(o));
    }
    if (open && !out.empty()) send_windowed(p, result_batch_);
    out.clear();
    p.results_out.clear();
    p.results_out_bytes = 0;
    if (p.results_out.capacity() > max_kept_capacity) {
        std::vector<proto::outcome>().swap(p.results_out);
    }
    if (out.capacity() > max_kept_capacity) std::vector<proto::outcome>().swap(out);
}

void broker_core::flush_cancels(peer& p, std::vector<proto::task_id>& ids, bool terminate) {
    proto::cancel c;
    c.terminate = terminate;
    for (std::size_t i = 0; i < ids.size(); i += config_.max_batch) {
        const std::size_t end = std::min(ids.size(), i + config_.max_batch);
        c.ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(i),
                     ids.begin() + static_cast<std::ptrdiff_t>(end));
        send(p, c);
    }
    ids.clear();
}

}  // namespace shoal::broker
