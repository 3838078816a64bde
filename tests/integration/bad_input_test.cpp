// Hostile and broken input at the real broker: each bad message gets a clear ERROR (or is
// dropped with a log line), and the broker goes on serving a good client afterwards.
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "shoal/client/client.hpp"
#include "shoal/proto/wire.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using namespace shoal::proto;
using shoal::testing::local_cluster;

class BadInputTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(cluster_.endpoint().empty());
        cluster_.add_worker("w1");
        raw_.set(zmq::sockopt::linger, 0);
        raw_.set(zmq::sockopt::rcvtimeo, 5000);
        raw_.connect(cluster_.endpoint());
    }

    void send_frames(const std::vector<std::string>& frames) {
        for (std::size_t i = 0; i < frames.size(); ++i) {
            raw_.send(zmq::buffer(frames[i]),
                      i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
        }
    }

    // The next ERROR's code from the broker (skipping heartbeats), or nullopt on timeout.
    std::optional<std::string> next_error_code() {
        for (int i = 0; i < 50; ++i) {
            std::vector<zmq::message_t> frames;
            zmq::message_t m;
            do {
                if (!raw_.recv(m)) return std::nullopt;
                frames.push_back(std::move(m));
            } while (frames.back().more());
            if (frames.size() == 3 && frames[1].size() == 1 &&
                frames[1].data<std::uint8_t>()[0] == static_cast<std::uint8_t>(command::error)) {
                return decode<error_reply>(frames[2].to_string_view()).code;
            }
        }
        return std::nullopt;
    }

    void expect_a_good_client_is_served() {
        shoal::client good(cluster_.endpoint());
        EXPECT_EQ(good.submit(shoal_examples::add, 2, 3).get(30.0), 5);
        EXPECT_TRUE(cluster_.broker().running());
    }

    local_cluster cluster_;
    zmq::context_t context_;
    zmq::socket_t raw_{context_, zmq::socket_type::dealer};
};

const std::string hello_body = encode(hello{peer_role::client, "raw", protocol_minor, {}});
std::string byte(command c) { return std::string(1, static_cast<char>(c)); }

TEST_F(BadInputTest, AWrongProtocolVersionGetsBadVersion) {
    send_frames({"SHOAL9", byte(command::hello), hello_body});
    EXPECT_EQ(next_error_code(), "bad_version");
    expect_a_good_client_is_served();
}

TEST_F(BadInputTest, TheWrongNumberOfFramesGetsBadFrames) {
    send_frames({"SHOAL1", byte(command::hello)});
    EXPECT_EQ(next_error_code(), "bad_frames");
    send_frames({"SHOAL1", byte(command::hello), hello_body, "extra", "more"});
    EXPECT_EQ(next_error_code(), "bad_frames");
    expect_a_good_client_is_served();
}

TEST_F(BadInputTest, AnUnknownCommandGetsBadCommand) {
    send_frames({"SHOAL1", std::string(1, '\x7e'), "\x90"});
    EXPECT_EQ(next_error_code(), "bad_command");
    expect_a_good_client_is_served();
}

TEST_F(BadInputTest, MalformedMsgpackAndWrongShapesAreRefused) {
    send_frames({"SHOAL1", byte(command::hello), std::string("\xc1", 1)});  // reserved byte
    EXPECT_EQ(next_error_code(), "malformed");
    send_frames({"SHOAL1", byte(command::hello), std::string("\x93\x01\x02\x03", 4)});  // [1,2,3]
    EXPECT_EQ(next_error_code(), "bad_body");
    // A 5-byte header claiming 2^32 elements: refused from the header, nothing allocated.
    send_frames({"SHOAL1", byte(command::hello), std::string("\xdd\xff\xff\xff\xff", 5)});
    EXPECT_EQ(next_error_code(), "too_many_elements");
    expect_a_good_client_is_served();
}

TEST_F(BadInputTest, AnOversizedMessageGetsTooLarge) {
    send_frames({"SHOAL1", byte(command::hello), std::string((16u << 20) + 1, 'x')});
    EXPECT_EQ(next_error_code(), "too_large");
    expect_a_good_client_is_served();
}

TEST_F(BadInputTest, CommandsBeforeHelloAreNotRegistered) {
    send_frames({"SHOAL1", byte(command::submit), encode(submit{})});
    EXPECT_EQ(next_error_code(), "not_registered");
    expect_a_good_client_is_served();
}

TEST_F(BadInputTest, AWorkerCommandFromAClientIsUnexpected) {
    send_frames({"SHOAL1", byte(command::hello), hello_body});
    send_frames({"SHOAL1", byte(command::ready), encode(ready{5})});
    EXPECT_EQ(next_error_code(), "unexpected");
    expect_a_good_client_is_served();
}

TEST_F(BadInputTest, ATorrentOfGarbageDoesNotStopTheBroker) {
    for (int i = 0; i < 2000; ++i) {
        send_frames({std::string(static_cast<std::size_t>(i % 7), static_cast<char>(i)),
                     std::string(1, static_cast<char>(i * 31)),
                     std::string(static_cast<std::size_t>(i % 50), '\xdd')});
    }
    expect_a_good_client_is_served();
}

}  // namespace
