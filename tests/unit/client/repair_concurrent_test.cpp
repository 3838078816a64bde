// Answers lost inside a live session are repaired (PROTOCOL.md 7.1 and 8): a task not
// acknowledged in time is sent again with the same id; an accepted task whose RESULT never
// comes is asked for (FETCH); an `output_dropped` notice makes the client ask at once; a task
// refused `busy` is sent again after the broker's retry-after. The broker here is a raw socket
// played by the test, which simply drops what it likes.

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fake_broker.hpp"
#include "shoal/client/client.hpp"

namespace {

using namespace shoal;
using shoal::testing::fake_broker;
using shoal::testing::quick_options;

inline constexpr task_def<int(int, int)> add{"add"};

proto::outcome ok(const proto::task_id& id, int value) {
    proto::outcome o;
    o.id = id;
    o.payload = detail::pack_result(value);
    return o;
}

client_options fast_repair() {
    auto o = quick_options();
    o.ack_timeout_s = 0.2;
    o.result_check_s = 0.3;
    return o;
}

TEST(ClientRepair, ASubmitWhoseAcceptedNeverCameIsSentAgainWithTheSameId) {
    fake_broker broker;
    client c(broker.endpoint(), fast_repair());
    const auto identity = broker.handshake();
    auto f = c.submit(add, 1, 2);
    auto [id1, first] = broker.expect<proto::submit>();
    ASSERT_EQ(first.tasks.size(), 1u);
    // No ACCEPTED: the client sends it again, the same task, by itself.
    auto [id2, again] = broker.expect<proto::submit>(5.0);
    ASSERT_EQ(again.tasks.size(), 1u);
    EXPECT_EQ(again.tasks[0].id, first.tasks[0].id);
    EXPECT_EQ(again.tasks[0].payload, first.tasks[0].payload);
    broker.send(identity, proto::accepted{{f.id()}, {}, 0});
    broker.send(identity, proto::result{{ok(f.id(), 3)}});
    EXPECT_EQ(f.get(5.0), 3);
}

TEST(ClientRepair, AResultThatNeverCameIsFetched) {
    fake_broker broker;
    client c(broker.endpoint(), fast_repair());
    const auto identity = broker.handshake();
    auto f = c.submit(add, 1, 2);
    broker.expect<proto::submit>();
    broker.send(identity, proto::accepted{{f.id()}, {}, 0});
    // The RESULT is lost on the way: the client asks for it.
    auto [id, fetch] = broker.expect<proto::fetch>(5.0);
    ASSERT_EQ(fetch.ids.size(), 1u);
    EXPECT_EQ(fetch.ids[0], f.id());
    proto::fetched_entry done;
    done.id = f.id();
    done.state = proto::result_state::done;
    done.result = ok(f.id(), 3);
    broker.send(identity, proto::fetched{{done}, {}});
    EXPECT_EQ(f.get(5.0), 3);
}

TEST(ClientRepair, AnOutputDroppedNoticeMakesTheClientAskAtOnce) {
    fake_broker broker;
    auto options = quick_options();
    options.result_check_s =
        600;  // the repair timer would be far too late: the notice is what acts
    client c(broker.endpoint(), options);
    const auto identity = broker.handshake();
    auto f = c.submit(add, 1, 2);
    broker.expect<proto::submit>();
    broker.send(identity, proto::accepted{{f.id()}, {}, 0});
    broker.send(identity,
                proto::error_reply{"output_dropped", "your window was full", std::nullopt});
    auto [id, fetch] = broker.expect<proto::fetch>(2.0);
    ASSERT_EQ(fetch.ids.size(), 1u);
    EXPECT_EQ(fetch.ids[0], f.id());
}

TEST(ClientRepair, ABusyRefusalIsSentAgainAfterTheRetryAfterAndNothingIsLost) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    const auto identity = broker.handshake();
    auto f = c.submit(add, 1, 2);
    auto [id1, first] = broker.expect<proto::submit>();
    proto::accepted busy;
    busy.refused.push_back({f.id(), {"busy", "the broker is full", "broker"}});
    busy.retry_after_ms = 100;
    broker.send(identity, busy);
    auto [id2, again] = broker.expect<proto::submit>(3.0);
    ASSERT_EQ(again.tasks.size(), 1u);
    EXPECT_EQ(again.tasks[0].id, f.id());
    EXPECT_FALSE(f.done()) << "a busy refusal failed the future";
    broker.send(identity, proto::accepted{{f.id()}, {}, 0});
    broker.send(identity, proto::result{{ok(f.id(), 3)}});
    EXPECT_EQ(f.get(5.0), 3);
}

TEST(ClientRepair, AResultExpiredRefusalFailsWithResultExpired) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    const auto identity = broker.handshake();
    auto f = c.submit(add, 1, 2);
    broker.expect<proto::submit>();
    proto::accepted a;
    a.refused.push_back({f.id(), {"result_expired", "ran already", "broker"}});
    broker.send(identity, a);
    EXPECT_THROW(f.get(5.0), result_expired_error);
}

TEST(ClientOutbox, SubmitWaitsForRoomAndTrySubmitSaysTheOutboxIsFull) {
    fake_broker broker;
    auto options = quick_options();
    options.max_unaccepted_tasks = 3;
    client c(broker.endpoint(), options);
    const auto identity = broker.handshake();
    std::vector<remote_future<int>> held;
    for (int i = 0; i < 3; ++i) held.push_back(c.submit(add, i, i));
    EXPECT_FALSE(c.try_submit(add, 9, 9).has_value()) << "the outbox took a fourth task";
    // A fourth submit waits until the broker accepts some.
    std::atomic<bool> fourth_in{false};
    std::thread submitter([&] {
        (void)c.submit(add, 4, 4);
        fourth_in = true;
    });
    std::vector<proto::task_id> seen;
    while (seen.size() < 3) {
        auto [id, s] = broker.expect<proto::submit>();
        for (const auto& t : s.tasks) seen.push_back(t.id);
    }
    EXPECT_FALSE(fourth_in.load());
    broker.send(identity, proto::accepted{{held[0].id()}, {}, 0});
    submitter.join();
    EXPECT_TRUE(fourth_in.load());
    auto [id, fourth] = broker.expect<proto::submit>();
    EXPECT_EQ(fourth.tasks.size(), 1u);
}

}  // namespace
