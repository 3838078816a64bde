#pragma once
// read_dispatch: a DISPATCH body as tasks to run, tolerating bad entries. The codec decodes
// a whole batch or nothing; when it refuses one, each entry is decoded on its own, so one bad
// task neither loses its good neighbours nor goes unreported: an entry whose id (and attempt)
// can still be read is answered as failed with type "shoal::bad_task".

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/proto/limits.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::worker_detail {

struct dispatch_reading {
    std::vector<proto::dispatched_task> tasks;  // well-formed: to run
    std::vector<proto::finished_task> refused;  // identified but malformed: report as failed
    std::size_t unidentified = 0;               // entries without a readable id
    std::string problem;                        // why the batch did not decode whole, if so
};

dispatch_reading read_dispatch(std::string_view body, const std::string& worker_name,
                               const proto::decode_limits& limits = {});

}  // namespace shoal::worker_detail
