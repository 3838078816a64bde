// After a reconnect the client asks again for what it still waits on: unacknowledged SUBMITs
// are resent with the same ids, accepted tasks are FETCHed (a pending answer means keep
// waiting, and asking again), tasks the broker forgot are submitted again, and outstanding
// requests are repeated.
#include <gtest/gtest.h>

#include "fake_broker.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"

namespace {

using namespace shoal;
using shoal::testing::fake_broker;
using shoal::testing::quick_options;
using shoal::testing::reply_deadline_s;
using shoal::testing::wait_until;

inline constexpr task_def<int(int, int)> add{"add"};

template <class T>
bool wait_for_status(const remote_future<T>& f, remote_status s) {
    return wait_until([&] { return f.status() == s; }, reply_deadline_s);
}

proto::fetched_entry entry(const proto::task_id& id, proto::result_state state) {
    proto::fetched_entry e;
    e.id = id;
    e.state = state;
    return e;
}

proto::outcome ok(const proto::task_id& id, int value) {
    proto::outcome o;
    o.id = id;
    o.payload = detail::pack_result(value);
    return o;
}

void forget_client(fake_broker& broker, const std::string& identity) {
    broker.send(identity, proto::error_reply{"not_registered", "who are you?", std::nullopt});
}

TEST(Reconnect, UnacknowledgedTasksAreResentAndAcceptedOnesFetched) {
    fake_broker broker;
    auto options = quick_options();
    options.result_check_s = 0.2;  // a pending task is asked for again this soon (repair)
    client c(broker.endpoint(), options);
    const auto identity = broker.handshake();
    const auto fs = c.submit_many(add, std::vector<std::tuple<int, int>>{{1, 2}, {3, 4}});
    const auto& a = fs[0];
    const auto& b = fs[1];
    broker.expect<proto::submit>();
    broker.send(identity, proto::accepted{{a.id()}, {}});
    ASSERT_TRUE(wait_for_status(a, remote_status::accepted));

    forget_client(broker, identity);  // the broker restarted: the client greets it again
    const auto again = broker.handshake();
    auto [id1, resent] = broker.expect<proto::submit>();
    ASSERT_EQ(resent.tasks.size(), 1u);
    EXPECT_EQ(resent.tasks[0].id, b.id());  // same id: the broker takes it idempotently
    auto [id2, fetch] = broker.expect<proto::fetch>();
    ASSERT_EQ(fetch.ids.size(), 1u);
    EXPECT_EQ(fetch.ids[0], a.id());

    // Still pending: the client keeps waiting and asks again (its repair schedule).
    broker.send(again, proto::fetched{{entry(a.id(), proto::result_state::pending)}});
    auto [id3, refetch] = broker.expect<proto::fetch>();
    ASSERT_EQ(refetch.ids.size(), 1u);
    EXPECT_EQ(refetch.ids[0], a.id());
    EXPECT_FALSE(a.done());
    auto done = entry(a.id(), proto::result_state::done);
    done.result = ok(a.id(), 3);
    broker.send(again, proto::fetched{{done}});
    EXPECT_EQ(a.get(reply_deadline_s), 3);

    broker.send(again, proto::accepted{{b.id()}, {}});
    broker.send(again, proto::result{{ok(b.id(), 7)}});
    EXPECT_EQ(b.get(reply_deadline_s), 7);
}

TEST(Reconnect, ASilentBrokerIsLeftForAFreshSocketAndEverythingUnansweredIsResent) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    // Submitted before the WELCOME, so that it leaves with it: submitted after, it could
    // leave only once the client had given up on a session it heard nothing from for
    // 100 ms (a test thread that late on a busy machine), on the next socket.
    auto f = c.submit(add, 5, 6);
    auto w = fake_broker::welcome_for_tests();
    w.heartbeat_ms = 50;
    w.liveness = 2;
    const auto first = broker.handshake(w);
    auto [id, s] = broker.expect<proto::submit>();
    // No ACCEPTED, no heartbeat: after 100 ms the client gives up on this session.
    const auto second = broker.handshake();
    EXPECT_NE(second, first);  // a new socket, a new routing identity
    auto [id2, resent] = broker.expect<proto::submit>();
    ASSERT_EQ(resent.tasks.size(), 1u);
    EXPECT_EQ(resent.tasks[0].id, f.id());
    EXPECT_EQ(resent.tasks[0].payload, s.tasks[0].payload);
    broker.send(second, proto::accepted{{f.id()}, {}});
    broker.send(second, proto::result{{ok(f.id(), 11)}});
    EXPECT_EQ(f.get(reply_deadline_s), 11);
}

TEST(Reconnect, ATaskTheBrokerForgotIsSubmittedAgain) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    const auto identity = broker.handshake();
    auto f = c.submit(add, 1, 1);
    auto [id, s] = broker.expect<proto::submit>();
    broker.send(identity, proto::accepted{{f.id()}, {}});
    ASSERT_TRUE(wait_for_status(f, remote_status::accepted));

    forget_client(broker, identity);
    const auto again = broker.handshake();
    auto [id2, fetch] = broker.expect<proto::fetch>();
    ASSERT_EQ(fetch.ids.size(), 1u);
    broker.send(again, proto::fetched{{entry(f.id(), proto::result_state::unknown)}});
    auto [id3, resubmitted] = broker.expect<proto::submit>();
    ASSERT_EQ(resubmitted.tasks.size(), 1u);
    EXPECT_EQ(resubmitted.tasks[0], s.tasks[0]);     // the very same task, id included
    EXPECT_EQ(f.status(), remote_status::accepted);  // not failed: it is on its way again
    broker.send(again, proto::result{{ok(f.id(), 2)}});
    EXPECT_EQ(f.get(reply_deadline_s), 2);
}

TEST(Reconnect, AnExpiredResultFailsWithResultExpiredError) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    const auto identity = broker.handshake();
    auto f = c.submit(add, 1, 1);
    broker.expect<proto::submit>();
    broker.send(identity, proto::accepted{{f.id()}, {}});
    ASSERT_TRUE(wait_for_status(f, remote_status::accepted));
    forget_client(broker, identity);
    const auto again = broker.handshake();
    broker.expect<proto::fetch>();
    broker.send(again, proto::fetched{{entry(f.id(), proto::result_state::expired)}});
    EXPECT_THROW(f.get(reply_deadline_s), result_expired_error);
}

TEST(Reconnect, OutstandingRequestsAreRepeatedInTheNewSession) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    const auto identity = broker.handshake();
    auto report = c.inspect("queues");
    auto purged = c.purge("slow");
    broker.expect<proto::inspect>();
    broker.expect<proto::purge>();
    forget_client(broker, identity);
    const auto again = broker.handshake();
    auto [id1, inspect] = broker.expect<proto::inspect>();
    EXPECT_EQ(inspect.what, "queues");
    auto [id2, purge] = broker.expect<proto::purge>();
    EXPECT_EQ(purge.queue, "slow");
    proto::report r;
    r.what = "queues";
    r.rows.push_back({{"name", std::string("default")}, {"ready", std::int64_t{4}}});
    broker.send(again, r);
    broker.send(again, proto::purged{"slow", 9});
    EXPECT_EQ(report.result(reply_deadline_s), r);
    EXPECT_EQ(purged.result(reply_deadline_s), 9u);
}

TEST(Reconnect, RevokesIssuedWhileDisconnectedAreSentAfterTheWelcome) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    const auto id = proto::task_id::random();
    c.revoke(id);  // no session yet
    broker.handshake();
    auto [from, r] = broker.expect<proto::revoke>();
    ASSERT_EQ(r.ids.size(), 1u);
    EXPECT_EQ(r.ids[0], id);
}

}  // namespace
