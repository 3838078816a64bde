#pragma once
// What the broker stores in Redis for one task and one result (broker/README.md, "Redis").
//
//   task record    1 version byte, 8-byte body hash, 8-byte submission seq (little-endian),
//                  [owner], then the task as a one-task SUBMIT body (proto::encode), so the
//                  record grows with the protocol's task options and is decoded by the same
//                  codec
//   result record  1 version byte, 8-byte body hash, [owner], then a one-outcome RESULT body
//
// Version 1 has no owner: what an open broker writes (byte for byte as before owners
// existed). Version 2, written by a broker with keys, puts the owner (the submitting key's
// ZAP User-Id, SECURITY.md) before the body as a 2-byte little-endian length and its bytes, so
// that a restarted broker still answers FETCH of another key's task with `unknown`. The body
// hash of an owned task mixes in its owner (submit_rules.hpp), so the 9-byte head compared
// in Redis tells two owners' submissions of one id apart as a conflict.
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
    std::string owner;  // empty: no owner (an open broker's record)
    proto::submitted_task task;
};

struct result_record {
    std::uint64_t body_hash = 0;
    std::string owner;
    proto::outcome outcome;
};

// An owner longer than max_owner_bytes is refused (std::length_error): a ZAP User-Id is a
// role and a key file's name.
inline constexpr std::size_t max_owner_bytes = 65'535;
std::string encode_task_record(std::uint64_t body_hash, std::uint64_t seq,
                               const proto::submitted_task& task, std::string_view owner = {});
std::string encode_result_record(std::uint64_t body_hash, const proto::outcome& outcome,
                                 std::string_view owner = {});
// Both throw proto::decode_error for a record that is not one.
task_record decode_task_record(std::string_view bytes);
result_record decode_result_record(std::string_view bytes);

}  // namespace shoal::broker
