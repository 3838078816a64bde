// The broker is killed (SIGKILL) halfway through a 20,000-task batch and started again on the
// same Redis: every accepted task completes, with one stored result each, the one the client
// was told.
//
// "Halfway" is made exact rather than raced for: the first half runs to completion, then the
// workers are frozen (SIGSTOP) and the second half is submitted, so at the kill half the batch
// is finished, the rest is stored in Redis, queued at the broker or leased to a frozen worker.
// An earlier version polled for "half finished" while everything ran; on a loaded CI machine
// the test thread was starved long enough for the whole batch to end before the kill.

#include <csignal>

#include <gtest/gtest.h>

#include "process/wait_until.hpp"
#include "redis/durable_cluster.hpp"

namespace {

using shoal::testing::durable_cluster;
using shoal::testing::wait_until;

TEST(BrokerCrash, KillNineAtHalfOfA20000TaskBatchAndRestartLosesNothing) {
    // A generous Redis timeout, so that on a loaded machine a slow reply is not a refusal, and
    // a 30 s liveness window, so that the frozen workers keep their leases until the kill.
    durable_cluster c({}, 5.0, 300);
    ASSERT_TRUE(c.ready());
    constexpr std::size_t total = 20'000;
    c.submit_wave(total / 2);
    ASSERT_TRUE(wait_until([&] { return c.finished() == total / 2; }, 120.0))
        << "only " << c.finished() << " finished";

    c.cluster().worker(0).signal(SIGSTOP);
    c.cluster().worker(1).signal(SIGSTOP);
    c.submit_wave(total / 2);
    // Frozen workers still have credit, so the broker leases them some of the second half:
    // the kill then catches tasks both queued and in flight.
    ASSERT_TRUE(wait_until([&] { return std::stol(c.stat("active")) > 0; }, 20.0))
        << "no task was leased to the frozen workers (workers_dead " << c.stat("workers_dead")
        << ")";
    const long active = std::stol(c.stat("active"));
    const long queued = std::stol(c.stat("queued"));
    c.cluster().kill_broker();
    const std::size_t before = c.finished();
    std::printf("broker killed with %zu of %zu tasks finished, %ld in flight, %ld queued\n", before,
                total, active, queued);
    ASSERT_EQ(before, total / 2);
    c.cluster().worker(0).signal(SIGCONT);
    c.cluster().worker(1).signal(SIGCONT);
    ASSERT_TRUE(c.cluster().restart_broker());

    const auto seen = c.outcomes(180.0);
    // The restarted broker recovered what was left of the batch from Redis.
    const long recovered = std::stol(c.stat("recovered"));
    std::printf("recovered by the new broker: %ld\n", recovered);
    EXPECT_EQ(recovered, static_cast<long>(total - before));
    shoal::testing::expect_durable(seen, c.redis());
    for (const auto& t : seen) {
        ASSERT_EQ(t.how, shoal::testing::seen_task::end::value) << t.id << " " << t.error;
    }
}

}  // namespace
