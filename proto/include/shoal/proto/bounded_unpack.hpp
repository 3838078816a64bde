#pragma once
// unpack_bounded: decodes exactly one msgpack value from untrusted bytes under decode_limits.
// A header that claims more elements, deeper nesting or longer strings than allowed is
// rejected from the header alone, before anything is allocated for it (a 5-byte header
// claiming 2^32 elements costs nothing). Bytes after the value are an error.

#include <cstddef>
#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "shoal/common/errors.hpp"
#include "shoal/proto/limits.hpp"

namespace shoal::proto {

enum class decode_errc {
    too_large,          // the body is longer than max_bytes
    truncated,          // the bytes end inside a value
    malformed,          // not msgpack (e.g. the reserved byte 0xc1)
    too_deep,           // nesting past max_depth
    too_many_elements,  // an array or map header past max_elements or the body's size
    too_long,           // a str or bin header past its limit
    trailing_bytes,     // bytes left after the value
    bad_frames,         // not exactly the frames a message has (envelope.hpp)
    bad_version,        // frame 0 is not SHOAL1
    bad_command,        // frame 1 is not one defined command byte
    bad_body,           // valid msgpack, but not the command's array (codec.hpp)
};

// The stable name of a code, as used in logs and in ERROR messages' text.
const char* to_string(decode_errc code) noexcept;

// Thrown by unpack_bounded and parse_envelope: bad input from a peer, never a bug of ours.
class decode_error : public shoal::error {
  public:
    decode_error(decode_errc code, const std::string& detail);
    decode_errc code() const noexcept { return code_; }

  private:
    decode_errc code_;
};

// The decoded value; it owns its memory. Throws decode_error.
msgpack::object_handle unpack_bounded(std::string_view bytes, const decode_limits& limits = {});

}  // namespace shoal::proto
