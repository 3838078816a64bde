#pragma once
// The hard limits of SHOAL/1 (PROTOCOL.md section 9), in one place. Every decoder checks them
// before allocating for what a peer claims.

#include <cstddef>

namespace shoal::proto {

struct decode_limits {
    // Largest message body accepted, in bytes.
    std::size_t max_bytes = 16u << 20;
    // Deepest nesting of arrays and maps in a body (payloads are opaque bin, not nested).
    std::size_t max_depth = 8;
    // Most elements in one array or map: the batch limit. (Never more than the body's byte
    // count either: an element takes at least one byte.)
    std::size_t max_elements = 10'000;
    // Longest str (names, queues, error messages).
    std::size_t max_str_bytes = 64u << 10;
    // Longest bin (a task's arguments or result).
    std::size_t max_bin_bytes = 16u << 20;
};

}  // namespace shoal::proto
