#pragma once
// peer_table: the broker's sessions, clients and workers, by ZeroMQ routing identity. A
// session starts at HELLO and ends at BYE, at a new HELLO from the same identity, or when the
// peer stays silent past its liveness. Each session lives in a reusable slot; a peer_ref
// (slot + generation) names it without dangling once it ends.
//
// It also keeps, per task name, how many registered workers offer it (the unknown-task rule),
// and the output gathered for each peer during one wake-up (batched RESULT and CANCEL).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "credit_account.hpp"
#include "name_table.hpp"
#include "peer_ref.hpp"
#include "security/key_registry.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::broker {

struct worker_info {
    std::uint32_t slots = 0;
    std::uint32_t prefetch = 0;
    credit_account credit;
    std::vector<name_id> offered;  // task names it runs, sorted, no duplicates
    // Queues it consumes, sorted, no duplicates; `default` when its HELLO named none. Kept as
    // names, not ids: a queue id is freed while no lane uses it, a consumer's queue is not.
    std::vector<std::string> queues;
    std::uint64_t done = 0;  // outcomes accepted from it
    std::uint64_t late = 0;  // DONEs from it ignored as late or revoked
    bool draining = false;   // sent DRAIN: gets nothing more
};

struct peer {
    std::string identity;  // ZeroMQ routing id
    std::string name;      // from HELLO, for logs and inspect
    std::string software;  // from HELLO (minor 3), e.g. "shoal/0.2.0"; empty from older peers
    proto::peer_role role = proto::peer_role::client;
    // The key it authenticated with (ZAP's User-Id, "role:name") and that key's role; empty
    // and nullopt on an open broker.
    std::string user_id;
    std::optional<key_role> key;
    std::uint32_t owner = 0;  // user_id interned (broker_core::owners_): what its tasks carry
    std::uint32_t generation = 0;
    bool in_use = false;
    double since = 0;       // loop time of its HELLO
    double last_heard = 0;  // loop time of its last message (any message is a sign of life)
    double last_sent = 0;   // loop time of our last message to it (heartbeats fill silences)
    worker_info worker;     // role worker only

    // Output gathered during one wake-up, sent at its end.
    std::vector<proto::outcome> results_out;
    std::size_t results_out_bytes = 0;
    std::vector<proto::task_id> cancels_out;
    std::vector<proto::task_id> terminates_out;  // CANCEL with terminate (revoke --terminate)
    bool flush_pending = false;

    // The output window (PROTOCOL.md 7.1): body bytes sent this session, and the count the
    // peer last acknowledged. Past broker_config::window_bytes unacknowledged, large output
    // (RESULT, FETCHED, REPORT, DISPATCH) waits or is dropped (output_dropped, told once the
    // window opens again), so a peer that does not read costs at most its window.
    std::uint64_t sent_bytes = 0;
    std::uint64_t acked_bytes = 0;
    bool output_dropped = false;
    std::uint64_t unacked() const noexcept {
        return sent_bytes - std::min(sent_bytes, acked_bytes);
    }
    // FETCH ids not answered yet, each once, answered a slice per pass.
    std::deque<proto::task_id> fetch_work;
};

class peer_table {
  public:
    // Starts a session for an identity that has none.
    peer_ref add(std::string_view identity, std::string name, proto::peer_role role, double now);
    // A worker's task names (call once, right after add).
    void set_offered(peer_ref ref, std::vector<name_id> names);
    // The queues a worker consumes (call once, right after add); none means `default`.
    void set_consumed(peer_ref ref, std::vector<std::string> queues);
    // Ends a session; refs to it resolve to nothing from now on.
    void remove(peer_ref ref);

    // The session of an identity, or nullptr.
    peer* find(std::string_view identity, peer_ref* ref = nullptr);
    peer* get(peer_ref ref);
    const peer* get(peer_ref ref) const;
    peer_ref ref_of(std::uint32_t slot) const { return {slot, slots_[slot].generation}; }

    // Slots of the registered workers, oldest first.
    std::span<const std::uint32_t> worker_slots() const noexcept { return workers_; }
    std::size_t worker_count() const noexcept { return workers_.size(); }
    std::size_t size() const noexcept { return by_identity_.size(); }
    std::size_t client_count() const noexcept { return size() - worker_count(); }
    // How many registered workers offer the task name.
    std::uint32_t offers(name_id name) const noexcept {
        return name < offers_.size() ? offers_[name] : 0;
    }

    // f(peer_ref, peer&) for every session; f may remove the session it is given.
    template <class F>
    void for_each(F&& f) {
        const std::size_t n = slots_.size();
        for (std::size_t i = 0; i < n; ++i) {
            if (slots_[i].in_use) f(ref_of(static_cast<std::uint32_t>(i)), slots_[i]);
        }
    }
    template <class F>
    void for_each(F&& f) const {
        const std::size_t n = slots_.size();
        for (std::size_t i = 0; i < n; ++i) {
            if (slots_[i].in_use) f(ref_of(static_cast<std::uint32_t>(i)), slots_[i]);
        }
    }

  private:
    struct identity_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    std::deque<peer> slots_;  // a deque: adding a slot never moves a peer
    std::vector<std::uint32_t> free_slots_;
    std::unordered_map<std::string, std::uint32_t, identity_hash, std::equal_to<>> by_identity_;
    std::vector<std::uint32_t> workers_;
    std::vector<std::uint32_t> offers_;  // by task name id
};

}  // namespace shoal::broker
