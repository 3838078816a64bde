#pragma once
// task_inputs: tasks that wait for other tasks' results (futures as arguments, PROTOCOL.md
// section 6.5). A waiting task is held by the broker in no lane, so it takes no worker's
// credit, and it costs nothing to whoever submitted it: the submitter may be gone.
//
// Each input id of a waiting task is a slot. When an input's result is final the broker
// delivers its bytes to every slot naming it (found through the index by input, so a chord's
// callback with 100,000 inputs costs one step per result, not a scan of its slots); the last
// delivery makes the task ready, and arguments_of() puts the results where its arguments
// wait for them (proto::splice_arguments: neither the arguments nor the results are decoded).
//
// Results are copied into the slots as they come, so a result that expires from the result
// store (its TTL, the store's budgets) while a dependent still waits for another input is not
// lost to it. An id named by a task no longer waiting (revoked, expired, failed by another
// input) is skipped when its result comes, and forget() drops it earlier where it can.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shoal/proto/messages.hpp"
#include "submit_rules.hpp"
#include "task_queues.hpp"

namespace shoal::broker {

struct waiting_task {
    std::string queue;
    std::string name;
    lane_id lane = 0;  // where it goes once ready (kept from reclaim meanwhile)
    queued_task task;
    admission admit;  // inputs, and what acts once they are in (countdown, eta, priority)
    // One per input id, in the order the inputs list them; filled as results come.
    std::vector<std::optional<std::string>> results;
    std::size_t missing = 0;
};

// Where an input's result goes: a slot of a waiting task.
struct input_slot {
    proto::task_id dependent;
    std::size_t slot = 0;
};

class task_inputs {
  public:
    // Holds `t` (keyed by its task id) until every slot is delivered.
    void wait(waiting_task&& t);
    bool empty() const noexcept { return waiting_.empty(); }
    std::size_t size() const noexcept { return waiting_.size(); }
    bool has_dependents(const proto::task_id& input) const {
        return !by_input_.empty() && by_input_.contains(input);
    }
    // The slots waiting for `input`, no longer indexed: each result is delivered once.
    std::vector<input_slot> take_slots(const proto::task_id& input);
    waiting_task* find(const proto::task_id& id);
    // Fills a slot; true when it was the task's last missing one.
    bool deliver(waiting_task& t, std::size_t slot, std::string_view result);
    // The task, no longer waiting (ready, or ended another way).
    std::optional<waiting_task> take(const proto::task_id& id);
    void forget(const proto::task_id& id) { waiting_.erase(id); }

    // f(const proto::task_id&, const waiting_task&) for every waiting task, in no order.
    template <class F>
    void for_each(F&& f) const {
        for (const auto& [id, t] : waiting_) f(id, t);
    }

    // `payload` (the task's argument array) with every input's result in place: the result of
    // a single input, or the array of a list input's results in order. Throws
    // proto::decode_error when they do not fit (an index past the arguments, a result that is
    // not one msgpack value).
    static std::string arguments_of(const waiting_task& t, std::string_view payload);

  private:
    std::unordered_map<proto::task_id, waiting_task, proto::task_id_hash> waiting_;
    std::unordered_map<proto::task_id, std::vector<input_slot>, proto::task_id_hash> by_input_;
};

}  // namespace shoal::broker
