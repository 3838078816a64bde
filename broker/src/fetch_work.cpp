// FETCH (PROTOCOL.md sections 4 and 7.1): each id of a FETCH is answered once, however often
// it is named, and the answers go out a slice per pass and within the asker's output window:
// one FETCH naming a large result ten thousand times costs one answer, and no FETCH holds the
// loop for more than a slice. Ids a peer asked for wait in its fetch_work (bounded); past the
// bound they are answered `deferred` at once (ask again).

#include <unordered_set>

#include "broker_core.hpp"

namespace shoal::broker {

namespace {

// Bytes of answers one peer gets per pass; a single larger result goes alone.
constexpr std::size_t fetch_slice_bytes = 1u << 20;
// FETCH ids waiting for an answer, per peer (16 bytes each).
constexpr std::size_t max_fetch_work = 100'000;
// An answer's bytes besides its result's.
constexpr std::size_t fetched_entry_overhead = 64;

std::size_t answer_bytes(const proto::fetched_entry& e) {
    std::size_t size = fetched_entry_overhead;
    if (e.result) {
        size += e.result->payload.size() + e.result->error.message.size() +
                e.result->error.type.size() + e.result->error.where.size();
    }
    return size;
}

}  // namespace

void broker_core::on_fetch(peer_ref ref, peer& p, std::string_view body) {
    const proto::fetch m = proto::decode<proto::fetch>(body, limits_);
    std::unordered_set<proto::task_id, proto::task_id_hash> seen;
    seen.reserve(m.ids.size());
    proto::fetched over;                          // past the bound: asked again later
    std::vector<proto::fetched_entry> ask_redis;  // not known here (any more)
    const bool was_idle = p.fetch_work.empty();
    for (const proto::task_id& id : m.ids) {
        if (!seen.insert(id).second) continue;  // named twice: answered once
        if (durable_ && store_.find(id) == nullptr) {
            proto::fetched_entry e;
            e.id = id;
            ask_redis.push_back(std::move(e));
        } else if (p.fetch_work.size() >= max_fetch_work) {
            over.deferred.push_back(id);
        } else {
            p.fetch_work.push_back(id);
        }
    }
    if (!over.deferred.empty()) send(p, over);  // ids only: small, outside the window
    if (!ask_redis.empty()) fetch_from_redis(ref, std::move(ask_redis));
    if (was_idle && !p.fetch_work.empty()) fetch_peers_.push_back(ref);
}

proto::fetched_entry broker_core::answer_for(peer_ref ref, const peer& p,
                                             const proto::task_id& id) {
    const task_entry* entry = store_.find(id);
    if (entry != nullptr && !may_see(p, entry->owner)) {
        proto::fetched_entry unknown;  // another key's task: as if it never existed
        unknown.id = id;
        return unknown;
    }
    proto::fetched_entry e = store_.fetch(id);
    if (entry != nullptr && entry->done && entry->unconfirmed) {
        // Redis has not stored it yet: nothing a broker crash could take back is shown.
        e.state = proto::result_state::pending;
        e.result.reset();
    }
    if (e.state == proto::result_state::pending && entry != nullptr && entry->recipient != ref) {
        // Whoever asks about a pending task is told its result when it comes: a client that
        // reconnected (new identity) is served without polling.
        watch(id, ref);
    }
    return e;
}

broker_core::fetch_left broker_core::serve_fetch_slice(peer_ref ref, peer& p) {
    proto::fetched reply;
    std::size_t bytes = 0;
    bool window_full = false;
    while (!p.fetch_work.empty() && reply.entries.size() < config_.max_batch) {
        proto::fetched_entry e = answer_for(ref, p, p.fetch_work.front());
        const std::size_t size = answer_bytes(e);
        if (!reply.entries.empty() && bytes + size > std::min(fetch_slice_bytes, message_budget()))
            break;
        if (!fits_window(p, bytes + size)) {
            window_full = true;  // waits for the peer to read
            break;
        }
        p.fetch_work.pop_front();
        bytes += size;
        reply.entries.push_back(std::move(e));
    }
    if (!reply.entries.empty()) send(p, reply);
    if (p.fetch_work.empty()) {
        std::deque<proto::task_id>().swap(p.fetch_work);  // its memory back
        return fetch_left::nothing;
    }
    return window_full ? fetch_left::waits_for_window : fetch_left::more;
}

void broker_core::serve_fetches() {
    if (fetch_peers_.empty()) return;
    std::vector<peer_ref> still;
    for (const peer_ref ref : fetch_peers_) {
        peer* p = peers_.get(ref);
        if (p == nullptr || p->fetch_work.empty()) continue;
        const fetch_left left = serve_fetch_slice(ref, *p);
        if (left == fetch_left::nothing) continue;
        still.push_back(ref);
        // More next pass; a full window waits for the acknowledgement that reopens it
        // (on_acknowledged), not in a loop of passes that send nothing: the next answer may
        // not fit even while the window is not quite full.
        if (left == fetch_left::more) schedule_more_work();
    }
    fetch_peers_.swap(still);
}

void broker_core::fetch_from_redis(peer_ref ref, std::vector<proto::fetched_entry>&& entries) {
    auto asked = std::make_shared<std::vector<proto::fetched_entry>>(std::move(entries));
    std::vector<proto::task_id> ids;
    ids.reserve(asked->size());
    for (const auto& e : *asked) ids.push_back(e.id);
    const auto answer = [this, ref, asked](bool answered,
                                           std::vector<std::optional<result_record>>& results) {
        peer* p = peers_.get(ref);
        if (p == nullptr) return;
        proto::fetched reply;
        std::size_t bytes = 0;
        for (std::size_t i = 0; i < asked->size(); ++i) {
            proto::fetched_entry& e = (*asked)[i];
            if (!answered) {
                // Not known here, and Redis cannot say: not an answer yet; the client asks again.
                e.state = proto::result_state::pending;
            } else if (results[i] && may_see(*p, results[i]->owner)) {
                e.state = proto::result_state::done;
                e.result = std::move(results[i]->outcome);
                e.result->id = e.id;
            }  // else unknown: none stored, or another key's
            const std::size_t size = answer_bytes(e);
            if (!reply.entries.empty() &&
                (reply.entries.size() >= config_.max_batch || bytes + size > message_budget())) {
                send(*p, reply);
                reply.entries.clear();
                bytes = 0;
            }
            if (!fits_window(*p, bytes + size)) {
                reply.deferred.push_back(e.id);  // the peer asks again once it has read
                continue;
            }
            bytes += size;
            reply.entries.push_back(std::move(e));
        }
        if (!reply.entries.empty() || !reply.deferred.empty()) send(*p, reply);
    };
    if (!durable_->fetch_results(ids, answer)) {
        std::vector<std::optional<result_record>> none;
        answer(false, none);
    }
}

}  // namespace shoal::broker
