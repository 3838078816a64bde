#pragma once
// Arguments as bytes: where each element of a task's argument array (a msgpack array, the
// payload) begins and ends, found without decoding any of them, and an array with some
// elements replaced by other msgpack values. What a broker needs to put an input task's
// result bytes where a dependent task's argument waits for it (futures as arguments, issue
// 18), opening neither the arguments nor the result.
//
//   skip_msgpack_value("\x92\x01\xa1x", 1) == 2        // the value at 1 (the int 1) ends at 2
//   splice_arguments("\x92\xc0\x02", {{0, "\x05"}})    == "\x92\x05\x02"   // [nil, 2] -> [5, 2]

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "shoal/proto/bounded_unpack.hpp"

namespace shoal::proto {

// Where the msgpack value that starts at `at` ends (one past its last byte). A container's
// elements are walked, not decoded, with no recursion and nothing allocated. Throws
// decode_error: truncated (the bytes end inside it, or a header claims more elements than
// bytes are left), malformed (the reserved byte 0xc1).
std::size_t skip_msgpack_value(std::string_view bytes, std::size_t at);

// One replacement: the element at `index` becomes `value` (one msgpack value's bytes).
struct argument_replacement {
    std::uint32_t index = 0;
    std::string_view value;
};

// `array` (one msgpack array, nothing after it) with the listed elements replaced, the rest
// copied byte for byte. Throws decode_error: bad_body if `array` is not an array, an index is
// past its end or listed twice, or a new value is not exactly one msgpack value; the codes of
// skip_msgpack_value for broken bytes;
// trailing_bytes if anything follows the array.
std::string splice_arguments(std::string_view array,
                             std::span<const argument_replacement> replacements);

// How many elements the array `array` begins with claims (its header alone; what a broker
// checks an input's index against at admission). Throws decode_error bad_body if `array` is
// not a msgpack array.
std::uint64_t count_arguments(std::string_view array);

// One msgpack array whose elements are `values` (each one msgpack value's bytes, copied as
// they are): the argument a list input (a chord's callback) receives.
std::string pack_array_of(std::span<const std::string_view> values);

}  // namespace shoal::proto
