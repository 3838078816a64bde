#pragma once
// fetch_result: the broker's answer to one FETCH, for tools that want to see the state as
// it is (client::fetch_state) rather than wait for the result (client::fetch<T>).

#include <optional>

#include "shoal/proto/messages.hpp"

namespace shoal {

struct fetch_result {
    proto::task_id id;
    // unknown: the broker has no record; pending: queued or running; done: `outcome` holds
    // the result or error; expired: the result existed but its time to live passed.
    proto::result_state state = proto::result_state::unknown;
    std::optional<proto::outcome> outcome;  // set when state is done
};

}  // namespace shoal
