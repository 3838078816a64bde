#pragma once
// dead_letters: tasks the broker set aside because they kept killing their workers (the
// delivery limit, broker_config::max_attempts). Each keeps the task itself, so that an
// operator can run it again (`shoal retry ID`), and the reason. Listed by `shoal inspect
// dead`, oldest first. The list is in memory; with Redis the task's record stays stored
// (it is still pending), so a restarted broker runs it again.
//
// Bounded: beyond max_kept the oldest letter is given back to the caller, to end for good.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "shoal/broker/task_queues.hpp"

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
    std::size_t size() const noexcept { return letters_.size(); }
    template <class F>
    void for_each(F&& f) const {
        for (const dead_letter& d : letters_) f(d);
    }

private:
    std::deque<dead_letter> letters_;
    std::size_t max_kept_;
};

}  // namespace shoal::broker
