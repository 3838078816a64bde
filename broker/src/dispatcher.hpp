#pragma once
// dispatcher: fills one worker's DISPATCH from the queues (PROTOCOL.md section 6).
//
// It takes only tasks whose name the worker offered, from the queues it consumes (a task
// whose queue no worker consumes waits there), oldest first across its lanes, at most
// the count it is given (the worker's available credit, capped by max_batch) and no more
// bytes than a message may hold. Each task taken moves into the in-flight table; its payload
// (kept by the result store's entry) moves into the message for encoding and goes back into
// the entry afterwards (restore), so no payload is copied. A batch that could not be sent
// goes back to the front of its lanes (undo). A task name under a rate limit is taken only while
// its bucket has a token; otherwise its lanes are passed over and the rest still flows.

#include <cstddef>
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

    void clear() {
        message.tasks.clear();
        entries.clear();
        owners.clear();
        bytes = 0;
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
    // After encoding: the payloads go back to their entries.
    static void restore(dispatch_batch& batch);
    // The batch was not sent: its tasks leave the in-flight table and go back to the front of
    // their lanes, unchanged.
    void undo(dispatch_batch& batch);

    // A queued record is live while its task is still pending with this submission's seq
    // (not revoked, purged, or expired and submitted anew).
    bool is_live(const queued_task& t) const;

  private:
    task_queues& queues_;
    inflight_table& inflight_;
    result_store& store_;
    rate_limits& rates_;
    std::vector<lane_id> lanes_;     // scratch: the worker's lanes
    std::vector<name_id> consumed_;  // scratch: the ids of the queues it consumes
};

}  // namespace shoal::broker
