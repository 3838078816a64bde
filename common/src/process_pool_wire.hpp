#pragma once
// The private protocol between a process_pool_executor and its children, over one
// SOCK_STREAM socketpair per child. Both ends are the same binary, so it is not versioned;
// the parent still never trusts a frame (a child may die half-way through writing one).
//
// Frame: u32 payload length (host byte order) + payload, a msgpack array:
//   request  (parent -> child): [kind, call id, function name, msgpack args as bin]
//   response (child -> parent): [kind, call id, detail, message]
//       ready:            sent once after fork, id 0; detail nil, message ""
//       ok:               detail = msgpack result bytes (bin)
//       error:            detail = the exception's type name, message = what()
//       soft_time_limit:  the call stopped at its soft time limit (the function let
//                         shoal::soft_time_limit_exceeded out); detail nil
//       unknown_function: detail nil
//       retry:            the function threw shoal::retry_task: detail = its countdown in
//                         milliseconds (an integer) or nil, message = its reason
// Dialog: child sends ready; then strictly alternating request/response; a stop request (or
// EOF) ends the child with exit status 0.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal::detail::pool_wire {

enum class request_kind : std::uint8_t { call = 1, stop = 2 };
enum class response_kind : std::uint8_t {
    ready = 1,
    ok = 2,
    error = 3,
    unknown_function = 4,
    retry = 5,
    soft_time_limit = 6,
};

struct request {
    request_kind kind = request_kind::call;
    std::uint64_t id = 0;  // call id, unique per pool; 0 for stop
    std::string name;      // registered function name
    std::string args;      // msgpack array of arguments
};

struct response {
    response_kind kind = response_kind::ok;
    std::uint64_t id = 0;    // the request's id; 0 for ready
    std::string result;      // ok: the msgpack result bytes
    std::string error_type;  // error: the exception's type name
    std::string message;     // error, soft_time_limit, unknown_function, retry: what it said
    std::optional<std::int64_t> retry_countdown_ms;  // retry: retry_task's countdown, if any
};

// Upper bound on a payload; a larger length prefix means a corrupt stream.
inline constexpr std::uint32_t max_payload_bytes = 256U << 20U;
inline constexpr std::size_t length_prefix_bytes = 4;

// Encoders return the whole frame, length prefix included.
std::string encode(const request& message);
std::string encode(const response& message);
// Decoders take one payload; nullopt if it is not a well-formed message.
std::optional<request> decode_request(std::string_view payload);
std::optional<response> decode_response(std::string_view payload);

// Writes all of `frame`; false on any error (EPIPE included: never raises SIGPIPE).
bool write_all(int fd, std::string_view frame);
// Blocking read of one frame's payload (used by children); false on EOF, error or a bad length.
bool read_frame(int fd, std::string& payload);

// Splits a byte stream read in arbitrary pieces into payloads (used by the parent).
class frame_reader {
  public:
    enum class status { frame, need_more, corrupt };
    void append(std::string_view bytes);
    // On status::frame, `payload` holds the next payload.
    status next(std::string& payload);

  private:
    std::string buffer_;      // unconsumed bytes
    std::size_t offset_ = 0;  // start of the first unconsumed byte in buffer_
};

}  // namespace shoal::detail::pool_wire
