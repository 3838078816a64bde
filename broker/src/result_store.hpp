#pragma once
// result_store: every task the broker accepted and has not forgotten yet, by id. A task is
// pending (queued, held, running or dead-lettered) until its outcome arrives, then done for
// the result TTL, then expired (a tombstone, for the rest of the dedup window). The store
// answers FETCH (unknown, pending, done, expired), spots a repeated SUBMIT by the body's
// fingerprint (also after its result expired), and remembers whom to tell (the submitter).
//
// The entry keeps the task's payload: its arguments while pending (queue records carry only
// ids, so revoking or expiring a task frees its bytes at once, wherever its record waits),
// then its result value once done.
//
// Budgets (broker_config): a pending task is charged its bytes against the queued budget
// until it ends (queued_bytes(), which admission checks); done results count against the
// result budget, and beyond it (or beyond max_results) the oldest expire early, so a flood of
// results cannot exhaust memory.
//
// Memory: one task_id_map entry per task (about 100 bytes in its slab plus 8-16 bytes of
// index), plus its payload, plus 32 bytes in the expiry queue once done.
//
// Time comes from an injected shoal::clock (the broker passes its loop's time; tests pass a
// manual clock). Expiry happens in expire(), which the broker calls on every tick.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "peer_ref.hpp"
#include "shoal/common/clock.hpp"
#include "shoal/proto/messages.hpp"
#include "shoal/proto/task_id_map.hpp"
#include "task_queues.hpp"
#include "tombstones.hpp"

namespace shoal::broker {

struct task_entry {
    std::uint64_t body_hash = 0;  // fingerprint of (name, queue, payload, options): idempotence
    peer_ref recipient;           // the client RESULT goes to
    std::uint64_t seq = 0;     // the queued record's seq: tells this submission from an older one
    lane_id lane = 0;          // where the record waits while queued (lazy revoke)
    std::uint32_t charge = 0;  // bytes counted against the queued budget while pending
    // One bit each, so that the owner fits the 80 bytes an entry took before it had one.
    bool done : 1 = false;
    bool awaiting_write : 1 = false;  // durable mode: written to Redis, not yet confirmed
    bool held : 1 = false;           // waiting in the broker (countdown, eta, retry), not in a lane
    bool dead_lettered : 1 = false;  // set aside after killing its workers; pending until retried
    bool unconfirmed : 1 = false;    // durable mode: done, but Redis has not stored the result yet
                                     // (nobody is told before it has)
    bool has_lane : 1 = false;       // `lane` is set: the task was queued, held or dead-lettered
    bool awaiting_inputs : 1 = false;  // held until other tasks' results are in (task_inputs)
    proto::task_status status = proto::task_status::ok;  // once done
    // The key that submitted it (broker_core::owners_; 0 on an open broker): only it, or an
    // admin key, may fetch, revoke or submit it again.
    std::uint32_t owner = 0;
    std::string payload;                       // pending: the arguments; done ok: the result
    std::unique_ptr<proto::error_info> error;  // once done with another status
};

struct result_store_limits {
    double ttl_s = 3600;                     // how long a done result is kept
    std::size_t max_results = 5'000'000;     // done results kept at most (oldest expire first)
    std::size_t max_tombstones = 1'000'000;  // expired ids remembered at most
    std::uint64_t max_result_bytes = std::uint64_t{1} << 30;  // done results' bytes at most
    double dedup_window_s = 86'400;  // an id is recognised this long after it finished
};

class result_store {
  public:
    result_store(const shoal::clock& clock, result_store_limits limits);

    task_entry* find(const proto::task_id& id);
    const task_entry* find(const proto::task_id& id) const;
    // A pending entry for a new id: {entry, true}. For a known id: {existing entry, false}.
    std::pair<task_entry*, bool> add_pending(const proto::task_id& id);
    // Counts a pending entry's bytes against the queued budget until it ends.
    void charge(task_entry& entry, std::uint32_t bytes);
    // Stores the outcome of `entry` (the entry of o.id) and starts its TTL; its arguments are
    // released. False, and nothing changes, if the entry is done already (the first outcome
    // wins).
    bool complete(task_entry& entry, proto::outcome&& o);
    // Forgets a pending entry: a task whose durable write failed was never accepted. False
    // if the id is unknown or done.
    bool forget_pending(const proto::task_id& id);

    // The stored outcome of a done entry, as RESULT and FETCHED carry it.
    static proto::outcome outcome_of(const proto::task_id& id, const task_entry& entry);
    proto::result_state state_of(const proto::task_id& id) const;
    proto::fetched_entry fetch(const proto::task_id& id) const;
    // For an id the store no longer holds: the body hash it ran with, while the dedup window
    // remembers it.
    std::optional<std::uint64_t> expired_body(const proto::task_id& id) const {
        return tombstones_.find(id);
    }

    // Forgets at most `max` done results past their TTL or beyond the budgets, leaving
    // tombstones, and trims old tombstones. Returns how many results expired; more_to_expire()
    // says whether the call stopped at `max`.
    std::size_t expire(std::size_t max = SIZE_MAX);
    bool more_to_expire() const noexcept;

    std::size_t size() const noexcept { return entries_.size(); }
    std::size_t done_count() const noexcept { return expiry_.size(); }
    std::size_t pending_count() const noexcept { return entries_.size() - expiry_.size(); }
    std::size_t tombstone_count() const noexcept { return tombstones_.size(); }
    std::uint64_t tombstones_forgotten_early() const noexcept {
        return tombstones_.forgotten_early();
    }
    std::uint64_t queued_bytes() const noexcept { return queued_bytes_; }
    std::uint64_t result_bytes() const noexcept { return result_bytes_; }
    const result_store_limits& limits() const noexcept { return limits_; }

  private:
    struct expiry {
        double at;
        proto::task_id id;
        std::uint64_t bytes;
    };
    bool due(const expiry& e, double now) const noexcept;

    const shoal::clock& clock_;
    result_store_limits limits_;
    proto::task_id_map<task_entry> entries_;
    std::deque<expiry> expiry_;  // one per done entry, in completion order (the TTL is fixed)
    tombstones tombstones_;
    std::uint64_t queued_bytes_ = 0;  // charges of pending entries
    std::uint64_t result_bytes_ = 0;  // bytes of done results
};

// What a done outcome takes in memory and on the wire, roughly: its bytes and headers.
std::uint64_t outcome_bytes(const proto::outcome& o) noexcept;

}  // namespace shoal::broker
