#pragma once
// dispatcher: fills one worker's DISPATCH from the queues (PROTOCOL.md section 6).
//
// It takes only tasks whose name the worker offered, from the queues it consumes (a task
// whose queue no worker consumes waits there), oldest first across its lanes, at most the
// count it is given (fair_share.hpp decides how many of a pass's tasks each worker takes) and
// no more bytes than a message may hold. Each task taken moves into the in-flight table; its
// payload (kept by the result store's entry) moves into the message for encoding and goes back
// into the entry afterwards (restore), so no payload is copied. A batch that could not be sent
// goes back to the front of its lanes (undo). A task name under a rate limit is taken only while
// its bucket has a token; otherwise its lanes are passed over and the rest still flows.

#include <cstddef>
#include <span>
#include <vector>

#include "inflight_table.hpp"
#include "peer_table.hpp"
#include "rate_limits.hpp"
#include "result_store.hpp"
#include "shoal/proto/messages.hpp"
#include "task_queues.hpp"

namespace shoal::broker {

struct dispatch_batch {
    proto::dispatch message;
    std::vector<inflight_task*> entries;  // parallel to message.tasks
    std::vector<task_entry*> owners;      // parallel: where each payload comes from and goes back
    std::size_t bytes = 0;                // estimated encoded size
    bool full = false;  // a task did not fit in the bytes allowed: the batch stopped short

    void clear() {
        message.tasks.clear();
        entries.clear();
        owners.clear();
        bytes = 0;
        full = false;
    }
};

class dispatcher {
  public:
    dispatcher(task_queues& queues, inflight_table& inflight, result_store& store,
               rate_limits& rates)
        : queues_(queues), inflight_(inflight), store_(store), rates_(rates) {}

    // Moves up to `max` tasks for worker `w` into `out` (cleared first) and the in-flight
    // table. Stops before a task that would take the batch past max_bytes, unless the batch
    // is still empty. `now` is the loop's time, for rate limits. Returns the number of tasks
    // taken.
    std::size_t fill(const peer& w, peer_ref ref, std::size_t max, std::size_t max_bytes,
                     double now, dispatch_batch& out);
    // The lanes worker `w` reads (`out` is cleared first): those of the names it offered, in the
    // queues it consumes. They stay valid through a dispatch pass, which frees no lane.
    void lanes_of(const peer& w, std::vector<lane_id>& out);
    // As fill, from the lanes lanes_of() gave, adding to what `out` holds already (a worker's
    // batch gathers over a pass's turns): max counts the tasks added, max_bytes the whole batch.
    std::size_t take(std::span<const lane_id> lanes, peer_ref ref, std::size_t max,
                     std::size_t max_bytes, double now, dispatch_batch& out);
    // After encoding: the payloads go back to their entries.
    static void restore(dispatch_batch& batch);
    // The batches were not sent: their tasks leave the in-flight table and go back to the front
    // of their lanes, unchanged and in submission order (workers' batches of one pass take
    // turns at the same lanes, so their tasks interleave).
    void undo(std::span<dispatch_batch* const> batches);
    void undo(dispatch_batch& batch) {
        dispatch_batch* const one = &batch;
        undo({&one, 1});
    }

    // A queued record is live while its task is still pending with this submission's seq
    // (not revoked, purged, or expired and submitted anew).
    bool is_live(const queued_task& t) const;

  private:
    task_queues& queues_;
    inflight_table& inflight_;
    result_store& store_;
    rate_limits& rates_;
    std::vector<lane_id> lanes_;           // scratch: the worker's lanes
    std::vector<name_id> consumed_;        // scratch: the ids of the queues it consumes
    std::vector<inflight_task> returned_;  // scratch: undo's tasks, to sort
};

}  // namespace shoal::broker
