// The broker is killed (SIGKILL) halfway through a 20,000-task batch and started again on the
// same Redis: every accepted task completes, with one stored result each, the one the client
// was told.

#include <gtest/gtest.h>

#include "process/wait_until.hpp"
#include "redis/durable_cluster.hpp"

namespace {

using shoal::testing::durable_cluster;
using shoal::testing::wait_until;

TEST(BrokerCrash, KillNineAtHalfOfA20000TaskBatchAndRestartLosesNothing) {
    durable_cluster c({});
    ASSERT_TRUE(c.ready());
    constexpr std::size_t total = 20'000;
    c.submit_wave(total);
    ASSERT_TRUE(wait_until([&] { return c.finished() >= total / 2; }, 120.0))
        << "only " << c.finished() << " finished";
    c.cluster().kill_broker();
    const std::size_t before = c.finished();
    std::printf("broker killed with %zu of %zu tasks finished\n", before, total);
    ASSERT_LT(before, total) << "the batch was over before the kill: nothing tested";
    ASSERT_TRUE(c.cluster().restart_broker());

    const auto seen = c.outcomes(180.0);
    // The restarted broker recovered what was left of the batch from Redis.
    const long recovered = std::stol(c.stat("recovered"));
    std::printf("recovered by the new broker: %ld\n", recovered);
    EXPECT_GT(recovered, 0);
    shoal::testing::expect_durable(seen, c.redis());
    for (const auto& t : seen) {
        ASSERT_EQ(t.how, shoal::testing::seen_task::end::value) << t.id << " " << t.error;
    }
}

}  // namespace
