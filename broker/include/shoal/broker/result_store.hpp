#pragma once
// result_store: every task the broker accepted and has not forgotten yet, by id. A task is
// pending (queued or running) until its outcome arrives, then done for the result TTL, then
// expired (a tombstone). The store answers FETCH (unknown, pending, done, expired), spots a
// repeated SUBMIT by the body's fingerprint, and remembers whom to tell (the submitter).
//
// Memory: one task_id_map entry per task (88 bytes in its slab plus 8-16 bytes of index),
// plus the result's bytes once done, plus 24 bytes in the expiry queue. Done results beyond
// max_results expire early, oldest first, so a flood of results cannot exhaust memory.
//
// Time comes from an injected shoal::clock (the broker passes its loop's time; tests pass a
// manual clock). Expiry happens in expire(), which the broker calls on every tick.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "shoal/broker/peer_ref.hpp"
#include "shoal/broker/task_id_map.hpp"
#include "shoal/broker/task_queues.hpp"
#include "shoal/broker/tombstones.hpp"
#include "shoal/common/clock.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::broker {

struct task_entry {
    std::uint64_t body_hash = 0;  // fingerprint of (name, queue, payload, options): idempotence
    peer_ref recipient;           // the client RESULT goes to
    std::uint64_t seq = 0;        // the queued record's seq: tells this submission from an older one
    lane_id lane = 0;             // where the record waits while queued (lazy revoke)
    bool done = false;
    bool awaiting_write = false;  // durable mode: written to Redis, not yet confirmed
    bool held = false;            // waiting in the broker (countdown, eta, retry), not in a lane
    bool dead_lettered = false;   // set aside after killing its workers; pending until retried
    proto::task_status status = proto::task_status::ok;  // once done
    std::string payload;                                  // once done with status ok
    std::unique_ptr<proto::error_info> error;             // once done with another status
};

struct result_store_limits {
    double ttl_s = 3600;                    // how long a done result is kept
    std::size_t max_results = 5'000'000;    // done results kept at most (oldest expire first)
    std::size_t max_tombstones = 1'000'000; // expired ids remembered at most (for ttl_s more)
};

class result_store {
public:
    result_store(const shoal::clock& clock, result_store_limits limits);

    task_entry* find(const proto::task_id& id);
    const task_entry* find(const proto::task_id& id) const;
    // A pending entry for a new id: {entry, true}. For a known id: {existing entry, false}.
    std::pair<task_entry*, bool> add_pending(const proto::task_id& id);
    // Stores the outcome of `entry` (the entry of o.id) and starts its TTL. False, and
    // nothing changes, if the entry is done already (the first outcome wins).
    bool complete(task_entry& entry, proto::outcome&& o);
    // Forgets a pending entry: a task whose durable write failed was never accepted. False
    // if the id is unknown or done.
    bool forget_pending(const proto::task_id& id);

    // The stored outcome of a done entry, as RESULT and FETCHED carry it.
    static proto::outcome outcome_of(const proto::task_id& id, const task_entry& entry);
    proto::result_state state_of(const proto::task_id& id) const;
    proto::fetched_entry fetch(const proto::task_id& id) const;

    // Forgets done results past their TTL or beyond max_results, leaving tombstones, and
    // trims old tombstones. Returns how many results expired.
    std::size_t expire();

    std::size_t size() const noexcept { return entries_.size(); }
    std::size_t done_count() const noexcept { return expiry_.size(); }
    std::size_t pending_count() const noexcept { return entries_.size() - expiry_.size(); }
    std::size_t tombstone_count() const noexcept { return tombstones_.size(); }
    const result_store_limits& limits() const noexcept { return limits_; }

private:
    struct expiry {
        double at;
        proto::task_id id;
    };

    const shoal::clock& clock_;
    result_store_limits limits_;
    task_id_map<task_entry> entries_;
    std::deque<expiry> expiry_;  // one per done entry, in completion order (the TTL is fixed)
    tombstones tombstones_;
};

}  // namespace shoal::broker
