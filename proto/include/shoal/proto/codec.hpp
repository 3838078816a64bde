#pragma once
// encode/decode: each message struct to and from its msgpack body (PROTOCOL.md section 5).
//
//     std::string body = shoal::proto::encode(msg);
//     auto msg = shoal::proto::decode<shoal::proto::submit>(body, limits);
//
// decode goes through unpack_bounded (limits first, nothing allocated for what a header only
// claims), then checks the shape: a body of the wrong shape throws decode_error with code
// bad_body and a message naming the field. Extra trailing array elements are ignored
// (section 10). Payload bytes are copied, never decoded.

#include <string>
#include <string_view>

#include "shoal/proto/bounded_unpack.hpp"
#include "shoal/proto/limits.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::proto {

std::string encode(const hello& m);
std::string encode(const welcome& m);
std::string encode(const heartbeat& m);
std::string encode(const bye& m);
std::string encode(const error_reply& m);
std::string encode(const submit& m);
std::string encode(const accepted& m);
std::string encode(const result& m);
std::string encode(const fetch& m);
std::string encode(const fetched& m);
std::string encode(const revoke& m);
std::string encode(const requeue& m);
std::string encode(const purge& m);
std::string encode(const purged& m);
std::string encode(const inspect& m);
std::string encode(const admin& m);
std::string encode(const report& m);
std::string encode(const subscribe& m);
std::string encode(const events& m);
std::string encode(const ready& m);
std::string encode(const dispatch& m);
std::string encode(const done& m);
std::string encode(const cancel& m);
std::string encode(const started& m);
std::string encode(const drain& m);

// Throws decode_error. Specialised for every message struct above.
template <class Message>
Message decode(std::string_view body, const decode_limits& limits = {});

}  // namespace shoal::proto
