#pragma once
// fair_share: one dispatch pass's tasks shared out among the workers with credit (PROTOCOL.md
// section 6, Worker).
//
// Filling each worker up to its whole credit in turn let the first one take a burst that the
// others could have run: with slots 1 and prefetch 8, ten tasks went nine to one worker and
// one to the other, which ran its one and idled while the first ran eight more in a row
// (METG needed --prefetch 1). So a pass goes round the workers one task a turn, first for
// their idle slots, then for the rest of their credit, until none takes any more:
// - a burst spreads evenly over the workers that can take it;
// - each turn takes the worker's own next task (its names, its queues, priorities, rate
//   limits: dispatcher.hpp), so tasks only one worker can take still all go to it;
// - idle slots go first, as those tasks start at once: a worker with more idle slots than its
//   even share still fills them (they would idle while another's prefetch held tasks);
// - a lone worker, or the last one still taking, takes the rest in one go: all its credit
//   allows, as before.
// Every task that some worker could take is still dispatched in the pass; only who gets it
// changed. Each worker's tasks gather in its own batch, sent as one DISPATCH after the pass;
// a batch that reaches a message's limit (bytes, or max_batch tasks) is sent at once and the
// worker goes on in a new one, so who gets what does not depend on the tasks' sizes.

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "dispatcher.hpp"
#include "peer_ref.hpp"
#include "peer_table.hpp"
#include "task_queues.hpp"

namespace shoal::broker {

class fair_share {
  public:
    struct taker {
        peer_ref ref;
        std::size_t position = 0;    // in the pass's list of workers (the next pass starts after)
        std::size_t credit = 0;      // tasks it may still take
        std::size_t idle_slots = 0;  // slots that hold no task
        std::size_t room = 0;        // bytes its batch may hold
        std::vector<lane_id> lanes;  // the lanes it reads
        dispatch_batch batch;        // what it took since its last DISPATCH
        bool stopped = false;        // out of the pass: its window closed or a send failed
        bool unsent = false;         // the send of `batch` failed: it goes back to the lanes
    };
    // Sends a batch cut by a message's limit; true if the worker goes on (in a new batch, with
    // `room` renewed), false if it stops (with `unsent` set if the send failed).
    using flush_fn = std::function<bool(taker&)>;

    // Starts a pass with no workers (the batches' memory is kept for the next passes).
    void clear();
    // Worker `w` takes part in the pass, after those added before it; a worker that reads no
    // lane is left out.
    void add(dispatcher& d, const peer& w, peer_ref ref, std::size_t position, std::size_t credit,
             std::size_t idle_slots, std::size_t room);
    // Shares the queued tasks out into the batches, at most max_batch tasks a batch. Returns
    // the position of the worker that took the last task, if any took one.
    std::optional<std::size_t> share_out(dispatcher& d, double now, std::size_t max_batch,
                                         const flush_fn& flush);

    std::span<taker> takers() noexcept { return {takers_.data(), count_}; }

  private:
    struct pass {
        dispatcher& d;
        double now;
        std::size_t max_batch;
        const flush_fn& flush;
        std::optional<std::size_t> last;
    };
    // Round the takers, one task a turn, each up to its idle slots or up to its credit.
    void take_turns(pass& p, bool idle_slots_only);
    // Up to `max` tasks into t's batch, flushing it at a message's limit.
    std::size_t take(pass& p, taker& t, std::size_t max);

    std::vector<taker> takers_;  // the first count_ take part; the rest keep their memory
    std::size_t count_ = 0;
    std::vector<std::size_t> turns_;  // scratch: the takers still taking
};

}  // namespace shoal::broker
