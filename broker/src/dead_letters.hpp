#pragma once
// dead_letters: tasks the broker set aside because they kept killing their workers (the
// delivery limit, broker_config::max_attempts). Each keeps the task itself, so that an
// operator can run it again (`shoal retry ID`), and the reason. Listed by `shoal inspect
// dead`, oldest first. With Redis each letter is also stored (durable_store), so a restarted
// broker sets it aside again instead of running it.
//
// Indexed by id: taking one letter (REQUEUE, REVOKE) costs O(1), so a REQUEUE of many ids is
// linear, not quadratic. Bounded: beyond max_kept the oldest letter is given back to the
// caller, to end for good.

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "shoal/proto/task_id.hpp"
#include "task_queues.hpp"

namespace shoal::broker {

struct dead_letter {
    lane_id lane = 0;  // where it goes back if retried (its queue, name and priority)
    queued_task task;
    std::string reason;
    double at = 0;  // loop time it was set aside
};

class dead_letters {
  public:
    explicit dead_letters(std::size_t max_kept = 100'000) : max_kept_(max_kept) {}
    // Returns the oldest letter if the list was full.
    std::optional<dead_letter> add(dead_letter&& letter);
    // Removes and returns the letter of a task, if there is one.
    std::optional<dead_letter> take(const proto::task_id& id);
    bool contains(const proto::task_id& id) const { return by_id_.count(id) > 0; }
    std::size_t size() const noexcept { return letters_.size(); }
    template <class F>
    void for_each(F&& f) const {
        for (const dead_letter& d : letters_) f(d);
    }

  private:
    std::list<dead_letter> letters_;  // oldest first; a list: taking one never moves the others
    std::unordered_map<proto::task_id, std::list<dead_letter>::iterator, proto::task_id_hash>
        by_id_;
    std::size_t max_kept_;
};

}  // namespace shoal::broker
