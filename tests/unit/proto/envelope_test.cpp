#include "shoal/proto/envelope.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using shoal::proto::command;
using shoal::proto::decode_errc;
using shoal::proto::decode_error;
using shoal::proto::parse_envelope;

decode_errc error_of(const std::vector<std::string_view>& frames,
                     const shoal::proto::decode_limits& limits = {}) {
    try {
        parse_envelope(frames, limits);
    } catch (const decode_error& e) {
        return e.code();
    }
    ADD_FAILURE() << "parsed without error";
    return decode_errc::malformed;
}

const std::string submit_byte(1, '\x10');

TEST(Envelope, AWellFormedMessageGivesItsCommandAndBody) {
    const std::string body = "\x91\x90";  // [[]]
    const std::vector<std::string_view> frames{"SHOAL1", submit_byte, body};
    const auto env = parse_envelope(frames);
    EXPECT_EQ(env.cmd, command::submit);
    EXPECT_EQ(env.body, body);
}

TEST(Envelope, AWrongFrameCountIsBadFrames) {
    EXPECT_EQ(error_of({"SHOAL1", submit_byte}), decode_errc::bad_frames);
    EXPECT_EQ(error_of({"SHOAL1", submit_byte, "", ""}), decode_errc::bad_frames);
    EXPECT_EQ(error_of({}), decode_errc::bad_frames);
}

TEST(Envelope, AnotherProtocolOrVersionIsBadVersion) {
    EXPECT_EQ(error_of({"SHOAL2", submit_byte, ""}), decode_errc::bad_version);
    EXPECT_EQ(error_of({"MDPW01", submit_byte, ""}), decode_errc::bad_version);
    EXPECT_EQ(error_of({"", submit_byte, ""}), decode_errc::bad_version);
}

TEST(Envelope, AnUnknownOrWideCommandIsBadCommand) {
    EXPECT_EQ(error_of({"SHOAL1", std::string_view("\x7f", 1), ""}), decode_errc::bad_command);
    EXPECT_EQ(error_of({"SHOAL1", "", ""}), decode_errc::bad_command);
    EXPECT_EQ(error_of({"SHOAL1", "\x10\x10", ""}), decode_errc::bad_command);
}

TEST(Envelope, ABodyPastTheSizeLimitIsTooLarge) {
    shoal::proto::decode_limits limits;
    limits.max_bytes = 4;
    const std::string body(5, '\0');
    EXPECT_EQ(error_of({"SHOAL1", submit_byte, body}, limits), decode_errc::too_large);
}

}  // namespace
