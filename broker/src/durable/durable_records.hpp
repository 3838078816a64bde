#pragma once
// What the broker stores in Redis for one task and one result (broker/README.md, "Redis").
//
//   task record    1 version byte, 8-byte body hash, 8-byte submission seq (little-endian),
//                  then the task as a one-task SUBMIT body (proto::encode), so the record
//                  grows with the protocol's task options and is decoded by the same codec
//   result record  1 version byte, 8-byte body hash, then a one-outcome RESULT body
//
// The body hash leads both records so that a SUBMIT of a known id can be told to be the same
// task (idempotent) or another one (conflict) from the first bytes alone, by the submit
// script in Redis.

#include <cstdint>
#include <string>
#include <string_view>

#include "shoal/proto/messages.hpp"

namespace shoal::broker {

inline constexpr std::size_t record_header_bytes = 9;  // version + body hash

struct task_record {
    std::uint64_t body_hash = 0;
    std::uint64_t seq = 0;
    proto::submitted_task task;
};

struct result_record {
    std::uint64_t body_hash = 0;
    proto::outcome outcome;
};

std::string encode_task_record(std::uint64_t body_hash, std::uint64_t seq,
                               const proto::submitted_task& task);
std::string encode_result_record(std::uint64_t body_hash, const proto::outcome& outcome);
// Both throw proto::decode_error for a record that is not one.
task_record decode_task_record(std::string_view bytes);
result_record decode_result_record(std::string_view bytes);

}  // namespace shoal::broker
