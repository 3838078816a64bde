// Invalid input (PROTOCOL.md section 8): every kind is dropped with an ERROR naming it, and
// the broker goes on serving the sender and everyone else.

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

std::string cmd_byte(proto::command c) { return std::string(1, static_cast<char>(c)); }

class BrokerBadInput : public ::testing::Test {
  protected:
    static broker_config config() {
        auto c = fast_config();
        c.max_message_bytes = 64 << 10;
        return c;
    }
    embedded_broker broker{config()};
    zmq::context_t ctx;
    test_peer bad{ctx, broker.endpoint()};

    // A good client and worker still get a task through, end to end.
    void expect_others_served() {
        test_peer client(ctx, broker.endpoint());
        client.hello_client("good-client");
        test_peer worker(ctx, broker.endpoint());
        worker.hello_worker({"add"}, 1, 0, "good-worker");
        worker.send(proto::ready{1});
        EXPECT_EQ(client.submit({task(77)}).ids.size(), 1u);
        const auto d = worker.expect<proto::dispatch>();
        ASSERT_EQ(d.tasks.size(), 1u);
        worker.done_ok(d.tasks, 1);
        const auto r = client.results(1);
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0].status, proto::task_status::ok);
    }
    std::int64_t invalid_count() {
        test_peer observer(ctx, broker.endpoint());
        observer.hello_client("observer");
        return int_field(observer.inspect("stats").rows.at(0), "invalid_messages");
    }
};

TEST_F(BrokerBadInput, AWrongFrameCountGetsBadFramesAndOthersAreStillServed) {
    bad.send_frames({"garbage"});
    EXPECT_EQ(bad.expect_error().code, "bad_frames");
    bad.send_frames({"SHOAL1", cmd_byte(proto::command::heartbeat), "\x90", "extra"});
    EXPECT_EQ(bad.expect_error().code, "bad_frames");
    expect_others_served();
}

TEST_F(BrokerBadInput, AnotherProtocolVersionGetsBadVersionAndOthersAreStillServed) {
    bad.send_frames({"SHOAL2", cmd_byte(proto::command::hello), "\x90"});
    const auto e = bad.expect_error();
    EXPECT_EQ(e.code, "bad_version");
    EXPECT_FALSE(e.related.has_value());
    expect_others_served();
}

TEST_F(BrokerBadInput, AnUnknownCommandByteGetsBadCommandAndOthersAreStillServed) {
    bad.send_frames({"SHOAL1", std::string(1, '\x77'), "\x90"});
    EXPECT_EQ(bad.expect_error().code, "bad_command");
    bad.send_frames({"SHOAL1", "\x01\x01", "\x90"});
    EXPECT_EQ(bad.expect_error().code, "bad_command");
    expect_others_served();
}

TEST_F(BrokerBadInput, EachKindOfBadBodyGetsItsOwnErrorAndTheSessionGoesOn) {
    // Not msgpack at all.
    bad.send_raw(proto::command::hello, "\xc1");
    EXPECT_EQ(bad.expect_error().code, "malformed");
    // msgpack, but not HELLO's array.
    bad.send_raw(proto::command::hello, "\x2a");
    EXPECT_EQ(bad.expect_error().code, "bad_body");
    // A registered client sending a broken SUBMIT: refused, session intact.
    bad.hello_client("bad");
    bad.send_raw(proto::command::submit, "\x91\x2a");
    EXPECT_EQ(bad.expect_error().code, "bad_body");
    // An array header claiming four billion elements.
    bad.send_raw(proto::command::fetch, std::string("\x91\xdd\xff\xff\xff\xff", 6));
    EXPECT_EQ(bad.expect_error().code, "too_many_elements");
    EXPECT_EQ(bad.submit({task(5, "noop")}).ids.size(), 1u);
    expect_others_served();
    EXPECT_EQ(invalid_count(), 4);
}

TEST_F(BrokerBadInput, AMessageOverTheSizeLimitGetsTooLargeAndTheSessionGoesOn) {
    bad.hello_client("bad");
    bad.send_raw(proto::command::submit, std::string(100 << 10, '\x90'));
    EXPECT_EQ(bad.expect_error().code, "too_large");
    EXPECT_EQ(bad.submit({task(5, "noop")}).ids.size(), 1u);
    expect_others_served();
}

TEST_F(BrokerBadInput, AnUnknownInspectTargetGetsBadBodyListingTheKnownOnes) {
    bad.hello_client("bad");
    bad.send(proto::inspect{"everything"});
    const auto e = bad.expect_error();
    EXPECT_EQ(e.code, "bad_body");
    EXPECT_NE(e.message.find("workers, queues, active, dead, held, scheduled, limits or stats"),
              std::string::npos);
}

TEST_F(BrokerBadInput, AFloodOfGarbageLeavesTheBrokerServing) {
    for (int i = 0; i < 500; ++i) bad.send_frames({"junk", std::to_string(i)});
    int errors = 0;
    while (errors < 500) {
        const auto m = bad.next();
        if (!m) break;
        if (m->cmd == proto::command::error) ++errors;
    }
    EXPECT_EQ(errors, 500);
    expect_others_served();
}

}  // namespace
