// What the broker refuses or rejects becomes a typed error on the one future concerned;
// bad messages from the broker are dropped without harming anything else.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "fake_broker.hpp"
#include "shoal/client/client.hpp"

namespace {

using namespace shoal;
using shoal::testing::fake_broker;
using shoal::testing::quick_options;
using shoal::testing::reply_deadline_s;

inline constexpr task_def<int(int, int)> add{"add"};

proto::outcome ok(const proto::task_id& id, int value) {
    proto::outcome o;
    o.id = id;
    o.payload = detail::pack_result(value);
    return o;
}

TEST(Refusals, ARefusedTaskFailsWithTaskRefusedCarryingTheCode) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    const auto identity = broker.handshake();
    auto refused = c.submit({.priority = 7}, add, 1, 2);
    auto fine = c.submit(add, 3, 4);
    broker.expect_items<proto::submit>(2, [](const proto::submit& s) { return s.tasks.size(); });
    proto::accepted acc;
    acc.ids.push_back(fine.id());
    acc.refused.push_back(
        {refused.id(), {"unsupported", "priority is not supported yet", "broker"}});
    broker.send(identity, acc);
    try {
        refused.get(reply_deadline_s);
        FAIL() << "no exception";
    } catch (const task_refused& e) {
        EXPECT_EQ(e.code(), "unsupported");
        EXPECT_STREQ(e.what(), "priority is not supported yet");
        EXPECT_EQ(e.where(), "broker");
    }
    EXPECT_EQ(refused.status(), remote_status::failed);
    // The refusal of one task does not touch the other one in the batch.
    broker.send(identity, proto::result{{ok(fine.id(), 7)}});
    EXPECT_EQ(fine.get(reply_deadline_s), 7);
}

TEST(Refusals, AnErrorAboutOneTaskFailsThatTaskWithBrokerError) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    const auto identity = broker.handshake();
    auto f = c.submit(add, 1, 2);
    auto g = c.submit(add, 2, 3);
    broker.expect_items<proto::submit>(2, [](const proto::submit& s) { return s.tasks.size(); });
    broker.send(identity, proto::error_reply{"conflict", "another body under this id", f.id()});
    try {
        f.get(reply_deadline_s);
        FAIL() << "no exception";
    } catch (const broker_error& e) {
        EXPECT_EQ(e.code(), "conflict");
    }
    EXPECT_FALSE(g.done());
}

TEST(Refusals, BadMessagesAndStrayRepliesFromTheBrokerAreDropped) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    const auto identity = broker.handshake();
    auto f = c.submit(add, 1, 2);
    broker.expect<proto::submit>();
    // Garbage bodies, an error about nothing, a result and a report nobody waits for.
    broker.send(identity, proto::error_reply{"bad_body", "what was that", std::nullopt});
    broker.send(identity, proto::result{{ok(proto::task_id::random(), 1)}});
    proto::report stray;
    stray.what = "workers";
    broker.send(identity, stray);
    broker.send(identity, proto::purged{"q", 1});
    broker.send_raw(identity, proto::command::result, "\xc1");
    broker.send_raw(identity, proto::command::accepted, "\x91\x01");
    broker.send_raw(identity, proto::command::dispatch, "\x91\x90");  // not for clients
    // The client is still fine.
    broker.send(identity, proto::accepted{{f.id()}, {}});
    broker.send(identity, proto::result{{ok(f.id(), 3)}});
    EXPECT_EQ(f.get(reply_deadline_s), 3);
    EXPECT_TRUE(c.connected());
}

}  // namespace
