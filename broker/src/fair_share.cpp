#include "fair_share.hpp"

#include <algorithm>

namespace shoal::broker {

void fair_share::clear() {
    for (std::size_t i = 0; i < count_; ++i) takers_[i].batch.clear();
    count_ = 0;
}

void fair_share::add(dispatcher& d, const peer& w, peer_ref ref, std::size_t position,
                     std::size_t credit, std::size_t idle_slots, std::size_t room) {
    if (count_ == takers_.size()) takers_.emplace_back();
    taker& t = takers_[count_];
    d.lanes_of(w, t.lanes);
    if (t.lanes.empty()) return;  // nothing queued that it can take
    t.ref = ref;
    t.position = position;
    t.credit = credit;
    t.idle_slots = idle_slots;
    t.room = room;
    t.batch.clear();
    t.stopped = false;
    t.unsent = false;
    ++count_;
}

std::optional<std::size_t> fair_share::share_out(dispatcher& d, double now, std::size_t max_batch,
                                                 const flush_fn& flush) {
    pass p{d, now, std::max<std::size_t>(max_batch, 1), flush, std::nullopt};
    // Idle slots first: those tasks start at once wherever they go.
    take_turns(p, true);
    take_turns(p, false);
    return p.last;
}

void fair_share::take_turns(pass& p, bool idle_slots_only) {
    const auto allowance = [idle_slots_only](const taker& t) -> std::size_t {
        if (t.stopped) return 0;
        return idle_slots_only ? std::min(t.credit, t.idle_slots) : t.credit;
    };
    turns_.clear();
    for (std::size_t i = 0; i < count_; ++i) {
        if (allowance(takers_[i]) > 0) turns_.push_back(i);
    }
    // One task a turn; a worker that takes none (nothing left that it can take) is out.
    while (turns_.size() > 1) {
        std::size_t kept = 0;
        for (const std::size_t i : turns_) {
            taker& t = takers_[i];
            if (take(p, t, 1) == 1 && allowance(t) > 0)
                turns_[kept++] = i;  // never past i's own place
        }
        turns_.resize(kept);
    }
    // The last one still taking takes the rest in one go (a lone worker: all it is allowed).
    if (turns_.size() == 1) {
        taker& t = takers_[turns_.front()];
        take(p, t, allowance(t));
    }
}

std::size_t fair_share::take(pass& p, taker& t, std::size_t max) {
    std::size_t taken = 0;
    while (taken < max && !t.stopped) {
        const std::size_t limit = std::min(max - taken, p.max_batch - t.batch.entries.size());
        const std::size_t n = p.d.take(t.lanes, t.ref, limit, t.room, p.now, t.batch);
        taken += n;
        t.credit -= n;
        t.idle_slots -= std::min(t.idle_slots, n);
        if (n > 0) p.last = t.position;
        // Short of what it asked only because the batch is at a message's limit: it is sent,
        // and the worker goes on in a new one. Otherwise nothing more is there for it.
        if (!t.batch.full && t.batch.entries.size() < p.max_batch) break;
        if (!p.flush(t)) t.stopped = true;
    }
    return taken;
}

}  // namespace shoal::broker
