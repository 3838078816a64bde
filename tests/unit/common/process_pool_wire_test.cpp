// The process pool's private parent/child protocol (common/src/process_pool_wire.hpp): each
// response kind keeps its typed fields across the wire, and a frame whose fields do not
// match its kind is refused, never half-read.

#include "process_pool_wire.hpp"

#include <string>

#include <gtest/gtest.h>
#include <msgpack.hpp>

namespace {

namespace wire = shoal::detail::pool_wire;

// The payload of a whole frame (its 4-byte length prefix removed).
std::string payload_of(const std::string& frame) { return frame.substr(wire::length_prefix_bytes); }

wire::response round_trip(const wire::response& sent) {
    auto got = wire::decode_response(payload_of(wire::encode(sent)));
    EXPECT_TRUE(got.has_value());
    return got.value_or(wire::response{});
}

TEST(ProcessPoolWire, AnOkResponseCarriesTheResultBytes) {
    wire::response sent;
    sent.kind = wire::response_kind::ok;
    sent.id = 7;
    sent.result = std::string("\x92\x01\x00", 3);  // binary, with a NUL
    const auto got = round_trip(sent);
    EXPECT_EQ(got.kind, wire::response_kind::ok);
    EXPECT_EQ(got.id, 7U);
    EXPECT_EQ(got.result, sent.result);
}

TEST(ProcessPoolWire, AnErrorResponseCarriesTheTypeNameAndMessage) {
    wire::response sent;
    sent.kind = wire::response_kind::error;
    sent.id = 9;
    sent.error_type = "std::invalid_argument";
    sent.message = "bad value 3";
    const auto got = round_trip(sent);
    EXPECT_EQ(got.kind, wire::response_kind::error);
    EXPECT_EQ(got.error_type, "std::invalid_argument");
    EXPECT_EQ(got.message, "bad value 3");
}

TEST(ProcessPoolWire, ARetryCarriesItsCountdownAsANumberOrNone) {
    wire::response sent;
    sent.kind = wire::response_kind::retry;
    sent.id = 3;
    sent.message = "try later";
    sent.retry_countdown_ms = 1500;
    EXPECT_EQ(round_trip(sent).retry_countdown_ms, 1500);
    sent.retry_countdown_ms.reset();
    const auto got = round_trip(sent);
    EXPECT_FALSE(got.retry_countdown_ms.has_value());
    EXPECT_EQ(got.message, "try later");
}

TEST(ProcessPoolWire, ASoftTimeLimitIsAKindOfItsOwnNotATypeName) {
    wire::response sent;
    sent.kind = wire::response_kind::soft_time_limit;
    sent.id = 4;
    sent.message = "stopped at its soft time limit";
    const auto got = round_trip(sent);
    EXPECT_EQ(got.kind, wire::response_kind::soft_time_limit);
    EXPECT_EQ(got.message, sent.message);
    EXPECT_TRUE(got.error_type.empty());
}

// [kind, id, detail, message] packed by hand.
template <class Detail>
std::string hand_made(std::uint8_t kind, const Detail& detail) {
    msgpack::sbuffer body;
    msgpack::packer<msgpack::sbuffer> packer(body);
    packer.pack_array(4);
    packer.pack(kind);
    packer.pack(std::uint64_t{1});
    packer.pack(detail);
    packer.pack(std::string("message"));
    return std::string(body.data(), body.size());
}

TEST(ProcessPoolWire, AFrameWhoseDetailDoesNotMatchItsKindIsRefused) {
    const auto retry = static_cast<std::uint8_t>(wire::response_kind::retry);
    const auto ok = static_cast<std::uint8_t>(wire::response_kind::ok);
    // The countdown as decimal digits (the old encoding) is no longer read as a number.
    EXPECT_FALSE(wire::decode_response(hand_made(retry, std::string("1500"))).has_value());
    EXPECT_TRUE(wire::decode_response(hand_made(retry, 1500)).has_value());
    EXPECT_FALSE(wire::decode_response(hand_made(ok, 12)).has_value());
    EXPECT_FALSE(
        wire::decode_response(hand_made(std::uint8_t{99}, msgpack::type::nil_t())).has_value());
}

TEST(ProcessPoolWire, ARequestKeepsItsNameAndArguments) {
    const wire::request sent{wire::request_kind::call, 12, "square", std::string("\x91\x05", 2)};
    const auto got = wire::decode_request(payload_of(wire::encode(sent)));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->kind, wire::request_kind::call);
    EXPECT_EQ(got->id, 12U);
    EXPECT_EQ(got->name, "square");
    EXPECT_EQ(got->args, sent.args);
}

}  // namespace
