#pragma once
// Sending many tasks or ids in as few messages as the session allows (I/O thread only):
// at most WELCOME's max_batch entries and max_message_bytes per message.

#include <cstddef>
#include <vector>

#include "shoal/proto/dealer_link.hpp"
#include "shoal/proto/messages.hpp"
#include "task_table.hpp"

namespace shoal::detail {

// Sends the tasks of `states` as SUBMIT messages, in order. A task too large for any message
// fails with payload_too_large and is erased from `table`. False if the link refused a
// message (not in a session, or its queue is full): the tasks stay unacknowledged and are
// sent again later.
bool send_submits(proto::dealer_link& link, task_table& table,
                  const std::vector<remote_state_base*>& states);

// Sends FETCH or REVOKE messages for `ids`, max_batch at a time; false if the link refused one.
template <class Message>
bool send_ids(proto::dealer_link& link, const std::vector<proto::task_id>& ids,
              void (*prepare)(Message&) = nullptr) {
    const std::size_t batch = link.session().max_batch == 0 ? 1 : link.session().max_batch;
    for (std::size_t i = 0; i < ids.size(); i += batch) {
        Message m;
        const std::size_t end = i + batch < ids.size() ? i + batch : ids.size();
        m.ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(i),
                     ids.begin() + static_cast<std::ptrdiff_t>(end));
        if (prepare != nullptr) prepare(m);
        if (!link.send(m)) return false;
    }
    return true;
}

}  // namespace shoal::detail
