// Results by id from another client (fetch, fetch_state), revoke by id, inspect and purge.
#include <chrono>
#include <thread>

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
inline constexpr task_def<int(int)> held{"held"};  // runs until the test releases it
inline constexpr task_def<int()> fail{"fail"};

class Fetch : public ::testing::Test {
  protected:
    Fetch() { broker_.serve(); }
    fake_broker broker_;
};

TEST_F(Fetch, AnotherClientFetchesAResultById) {
    client submitter(broker_.endpoint(), quick_options());
    auto f = submitter.submit(add, 40, 2);
    ASSERT_EQ(f.get(reply_deadline_s), 42);

    client other(broker_.endpoint(), quick_options());
    EXPECT_EQ(other.fetch<int>(f.id()).get(reply_deadline_s), 42);
    EXPECT_EQ(other.fetch<raw_msgpack>(f.id()).get(reply_deadline_s).as<int>(), 42);
    const fetch_result state = other.fetch_state(f.id()).result(reply_deadline_s);
    EXPECT_EQ(state.id, f.id());
    EXPECT_EQ(state.state, proto::result_state::done);
    ASSERT_TRUE(state.outcome.has_value());
    EXPECT_EQ(state.outcome->status, proto::task_status::ok);
}

TEST_F(Fetch, APendingTaskIsAskedForAgainUntilDone) {
    client submitter(broker_.endpoint(), quick_options());
    // Pending until the other client has asked for it more than once, however long that takes.
    auto f = submitter.submit(held, 300);
    ASSERT_TRUE(submitter.flush(reply_deadline_s));
    client other(broker_.endpoint(), quick_options());
    EXPECT_EQ(other.fetch_state(f.id()).result(reply_deadline_s).state,
              proto::result_state::pending);
    auto fetched = other.fetch<int>(f.id());
    EXPECT_FALSE(fetched.done());
    // Asked more than once (fetch_state asked too).
    EXPECT_TRUE(wait_until([&] { return broker_.fetches_seen.load() >= 3; }, reply_deadline_s));
    EXPECT_FALSE(fetched.done());
    broker_.release(f.id());
    EXPECT_EQ(fetched.get(reply_deadline_s), 300);
}

TEST_F(Fetch, AFetchedFailureIsTheSameTypedError) {
    client submitter(broker_.endpoint(), quick_options());
    auto f = submitter.submit(fail);
    EXPECT_THROW(f.get(reply_deadline_s), remote_task_error);
    client other(broker_.endpoint(), quick_options());
    try {
        other.fetch<int>(f.id()).get(reply_deadline_s);
        FAIL() << "no exception";
    } catch (const remote_task_error& e) {
        EXPECT_EQ(e.where(), "worker-7");
    }
}

TEST_F(Fetch, AnUnknownIdIsAResultUnknownError) {
    client c(broker_.endpoint(), quick_options());
    const auto id = proto::task_id::random();
    EXPECT_THROW(c.fetch<int>(id).get(reply_deadline_s), result_unknown_error);
    EXPECT_EQ(c.fetch_state(id).result(reply_deadline_s).state, proto::result_state::unknown);
}

TEST_F(Fetch, RevokingByIdFromAnotherClientCancelsTheSubmittersFuture) {
    client submitter(broker_.endpoint(), quick_options());
    auto f = submitter.submit(held, 5000);  // never released: only the revoke ends it
    ASSERT_TRUE(submitter.flush(reply_deadline_s));
    client other(broker_.endpoint(), quick_options());
    other.revoke(f.id());
    EXPECT_THROW(f.get(reply_deadline_s), cancelled_error);
    EXPECT_EQ(f.status(), remote_status::revoked);
}

TEST_F(Fetch, InspectAndPurgeAreAnswered) {
    client c(broker_.endpoint(), quick_options());
    const auto report = c.inspect("workers").result(reply_deadline_s);
    EXPECT_EQ(report.what, "workers");
    ASSERT_EQ(report.rows.size(), 1u);
    EXPECT_EQ(c.purge("slow").result(reply_deadline_s), 3u);
}

TEST_F(Fetch, RequestsOnAClosedClientFailOrThrow) {
    client c(broker_.endpoint(), quick_options());
    auto never = c.fetch<int>(proto::task_id::random());  // unknown: fails either way
    c.close();
    EXPECT_THROW(never.get(reply_deadline_s), error);
    EXPECT_THROW(c.inspect("workers"), executor_shutdown_error);
    EXPECT_FALSE(c.flush(0.1));
}

}  // namespace
