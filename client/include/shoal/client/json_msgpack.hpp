#pragma once
// JSON <-> msgpack for tools (the `shoal` CLI) and other languages: task arguments typed as
// JSON become the msgpack a worker decodes, and msgpack results are shown as JSON.
//
//   json_to_msgpack("[2, 3]")                  // msgpack array of two ints
//   json_args_to_msgpack({"2", "\"x\""})       // one JSON value per argument -> [2, "x"]
//   msgpack_to_json(bytes)                     // "5", "{\"a\":[1,2]}", ...
//
// JSON -> msgpack: integers take the smallest msgpack int, other numbers float64, strings
// str, arrays and objects array and map. msgpack -> JSON: map keys that are not strings are
// written as their JSON text ("1", "[1,2]"); bin becomes {"$bin": "<base64>"}, ext
// {"$ext": type, "$data": "<base64>"}; NaN and infinities become null; invalid UTF-8 is
// replaced with U+FFFD. Both directions refuse nesting deeper than max_json_depth, so
// hostile input costs bounded stack. Errors throw json_conversion_error.

#include <span>
#include <string>
#include <string_view>

#include "shoal/common/errors.hpp"

namespace shoal {

class json_conversion_error : public error {
  public:
    using error::error;
};

inline constexpr std::size_t max_json_depth = 64;

// One JSON text (a single value) to msgpack bytes.
std::string json_to_msgpack(std::string_view json_text);
// A msgpack array with one element per JSON text, in order (a task's argument list).
std::string json_args_to_msgpack(std::span<const std::string> json_values);
// One msgpack value to JSON text; indent < 0 is compact, otherwise pretty with that indent.
std::string msgpack_to_json(std::string_view msgpack_bytes, int indent = -1);
// One msgpack map (an event of the broker's stream) to a JSON object, its bin values shown as
// the JSON of the msgpack they hold (a task's arguments, its result); a bin that is not
// msgpack stays {"$bin": ...}. Throws json_conversion_error for anything but a map.
std::string msgpack_map_to_json(std::string_view msgpack_bytes, int indent = -1);

}  // namespace shoal
