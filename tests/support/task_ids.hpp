#pragma once
// id_of(n): the task id a test names by a small number. Ids sort as their numbers do (n sits
// big-endian in the last eight bytes), are never the all-zero id, and show as "ab00…" plus n
// in hex, so one is easy to tell apart in a log or a failure message.

#include <cstddef>
#include <cstdint>

#include "shoal/proto/task_id.hpp"

namespace shoal::testing {

inline proto::task_id id_of(std::uint64_t n) {
    proto::task_id id;
    id.bytes[0] = 0xab;
    for (std::size_t i = 0; i < 8; ++i) id.bytes[15 - i] = static_cast<std::uint8_t>(n >> (8 * i));
    return id;
}

// The n of id_of(n).
inline std::uint64_t number_of(const proto::task_id& id) {
    std::uint64_t n = 0;
    for (std::size_t i = 8; i < 16; ++i) n = (n << 8) | id.bytes[i];
    return n;
}

}  // namespace shoal::testing
