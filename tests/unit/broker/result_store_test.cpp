#include "result_store.hpp"

#include <gtest/gtest.h>

#include "manual_clock.hpp"
#include "task_ids.hpp"

namespace {

using namespace shoal::broker;
using shoal::proto::result_state;
using shoal::proto::task_status;
using shoal::testing::id_of;

shoal::proto::outcome ok(std::uint8_t n, std::string payload) {
    return {id_of(n), task_status::ok, std::move(payload), {}};
}

class ResultStoreTest : public ::testing::Test {
  protected:
    shoal::testing::manual_clock clock;
    // TTL 10 s, 100 results, 100 tombstones, 1 GiB of results, a 30 s dedup window.
    result_store store{clock, result_store_limits{10.0, 100, 100, std::uint64_t{1} << 30, 30.0}};
};

TEST_F(ResultStoreTest, UnknownThenPendingThenDoneThenExpired) {
    EXPECT_EQ(store.state_of(id_of(1)), result_state::unknown);
    auto [entry, fresh] = store.add_pending(id_of(1));
    ASSERT_TRUE(fresh);
    EXPECT_EQ(store.state_of(id_of(1)), result_state::pending);
    EXPECT_FALSE(store.fetch(id_of(1)).result.has_value());

    ASSERT_TRUE(store.complete(*entry, ok(1, "\x05")));
    const auto done = store.fetch(id_of(1));
    EXPECT_EQ(done.state, result_state::done);
    ASSERT_TRUE(done.result.has_value());
    EXPECT_EQ(done.result->payload, "\x05");
    EXPECT_EQ(done.result->status, task_status::ok);

    clock.advance(9.9);
    EXPECT_EQ(store.expire(), 0u);
    EXPECT_EQ(store.state_of(id_of(1)), result_state::done);
    clock.advance(0.2);
    EXPECT_EQ(store.expire(), 1u);
    EXPECT_EQ(store.state_of(id_of(1)), result_state::expired);
    EXPECT_EQ(store.fetch(id_of(1)).state, result_state::expired);
    EXPECT_EQ(store.size(), 0u);
    EXPECT_EQ(store.tombstone_count(), 1u);
}

TEST_F(ResultStoreTest, PendingTasksNeverExpire) {
    store.add_pending(id_of(1));
    clock.advance(1000);
    EXPECT_EQ(store.expire(), 0u);
    EXPECT_EQ(store.state_of(id_of(1)), result_state::pending);
}

TEST_F(ResultStoreTest, TombstonesLastUntilTheDedupWindowEnds) {
    auto [entry, fresh] = store.add_pending(id_of(1));
    entry->body_hash = 77;
    store.complete(*entry, ok(1, "x"));
    clock.advance(11);
    store.expire();
    EXPECT_EQ(store.state_of(id_of(1)), result_state::expired);
    EXPECT_EQ(store.expired_body(id_of(1)), 77u) << "a repeated SUBMIT must be recognised";
    clock.advance(18);  // 29 s after it finished: still inside the 30 s window
    store.expire();
    EXPECT_EQ(store.state_of(id_of(1)), result_state::expired);
    clock.advance(2);
    store.expire();
    EXPECT_EQ(store.state_of(id_of(1)), result_state::unknown);
    EXPECT_FALSE(store.expired_body(id_of(1)).has_value());
    EXPECT_EQ(store.tombstone_count(), 0u);
}

TEST_F(ResultStoreTest, APendingTaskIsChargedUntilItEndsAndItsArgumentsGoWithIt) {
    auto [entry, fresh] = store.add_pending(id_of(1));
    entry->payload = std::string(1000, 'a');
    store.charge(*entry, 1300);
    EXPECT_EQ(store.queued_bytes(), 1300u);
    store.complete(*entry,
                   {id_of(1), task_status::revoked, "", {"revoked", "by a client", "broker"}});
    EXPECT_EQ(store.queued_bytes(), 0u);
    EXPECT_TRUE(entry->payload.empty()) << "a revoked task's arguments must go at once";
    EXPECT_GT(store.result_bytes(), 0u);
}

TEST_F(ResultStoreTest, ResultsPastTheByteBudgetExpireOldestFirst) {
    result_store small{clock, result_store_limits{3600.0, 100, 100, 2500, 3600.0}};
    for (std::uint8_t n = 1; n <= 3; ++n) {
        auto [entry, fresh] = small.add_pending(id_of(n));
        small.complete(*entry, ok(n, std::string(1000, 'r')));
    }
    EXPECT_GT(small.result_bytes(), 2500u);
    EXPECT_EQ(small.expire(), 1u);  // the oldest, long before its TTL
    EXPECT_EQ(small.state_of(id_of(1)), result_state::expired);
    EXPECT_EQ(small.state_of(id_of(3)), result_state::done);
    EXPECT_LE(small.result_bytes(), 2500u);
}

TEST_F(ResultStoreTest, ExpiryGoesASliceAtATime) {
    for (std::uint8_t n = 1; n <= 5; ++n) {
        auto [entry, fresh] = store.add_pending(id_of(n));
        store.complete(*entry, ok(n, "x"));
    }
    clock.advance(11);
    EXPECT_EQ(store.expire(2), 2u);
    EXPECT_TRUE(store.more_to_expire());
    EXPECT_EQ(store.expire(), 3u);
    EXPECT_FALSE(store.more_to_expire());
}

TEST_F(ResultStoreTest, FirstOutcomeWins) {
    auto [entry, fresh] = store.add_pending(id_of(1));
    EXPECT_TRUE(store.complete(*entry, ok(1, "first")));
    EXPECT_FALSE(store.complete(*entry, ok(1, "second")));
    EXPECT_EQ(store.fetch(id_of(1)).result->payload, "first");
}

TEST_F(ResultStoreTest, KnownIdReturnsTheExistingEntry) {
    auto [entry, fresh] = store.add_pending(id_of(1));
    entry->body_hash = 42;
    auto [again, fresh_again] = store.add_pending(id_of(1));
    EXPECT_FALSE(fresh_again);
    EXPECT_EQ(again, entry);
    EXPECT_EQ(again->body_hash, 42u);
}

TEST_F(ResultStoreTest, FailuresKeepTheirError) {
    auto [entry, fresh] = store.add_pending(id_of(1));
    store.complete(*entry,
                   {id_of(1), task_status::failed, "", {"std::runtime_error", "boom", "w1"}});
    const auto f = store.fetch(id_of(1));
    ASSERT_TRUE(f.result.has_value());
    EXPECT_EQ(f.result->status, task_status::failed);
    EXPECT_EQ(f.result->error.message, "boom");
    EXPECT_EQ(f.result->error.where, "w1");
}

TEST(ResultStoreLimits, OldestResultsExpireEarlyPastMaxResults) {
    shoal::testing::manual_clock clock;
    result_store store{clock, result_store_limits{3600, 3, 100}};
    for (std::uint8_t i = 1; i <= 5; ++i) {
        auto [entry, fresh] = store.add_pending(id_of(i));
        store.complete(*entry, ok(i, "r"));
        clock.advance(1);
    }
    EXPECT_EQ(store.expire(), 2u);
    EXPECT_EQ(store.done_count(), 3u);
    EXPECT_EQ(store.state_of(id_of(1)), result_state::expired);
    EXPECT_EQ(store.state_of(id_of(2)), result_state::expired);
    EXPECT_EQ(store.state_of(id_of(3)), result_state::done);
}

TEST(ResultStoreLimits, TombstonesAreBounded) {
    shoal::testing::manual_clock clock;
    result_store store{clock, result_store_limits{1, 1000, 2}};
    for (std::uint8_t i = 1; i <= 4; ++i) {
        auto [entry, fresh] = store.add_pending(id_of(i));
        store.complete(*entry, ok(i, "r"));
    }
    clock.advance(2);
    EXPECT_EQ(store.expire(), 4u);
    EXPECT_EQ(store.tombstone_count(), 2u);
    EXPECT_EQ(store.state_of(id_of(1)), result_state::unknown);  // forgotten: oldest
    EXPECT_EQ(store.state_of(id_of(4)), result_state::expired);
}

TEST(ResultStoreLimits, AnExpiredIdSubmittedAgainIsPendingAgain) {
    shoal::testing::manual_clock clock;
    result_store store{clock, result_store_limits{1, 1000, 100}};
    auto [entry, fresh] = store.add_pending(id_of(1));
    store.complete(*entry, ok(1, "r"));
    clock.advance(2);
    store.expire();
    auto [again, fresh_again] = store.add_pending(id_of(1));
    EXPECT_TRUE(fresh_again);
    EXPECT_EQ(store.state_of(id_of(1)), result_state::pending);
}

}  // namespace
