// Redis (appendfsync always) is killed (SIGKILL) while clients submit, and started again on the
// same directory: no accepted task is lost, and every submit during the outage got the
// retryable `unavailable` refusal, never an acceptance.

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "process/wait_until.hpp"
#include "redis/durable_cluster.hpp"

namespace {

using shoal::testing::durable_cluster;
using shoal::testing::seen_task;
using shoal::testing::wait_until;

TEST(RedisCrash, KillNineRedisDuringSubmitsLosesNoAcceptedTask) {
    shoal::testing::redis_server_options o;
    o.appendfsync = "always";
    durable_cluster c(o, 0.5);
    ASSERT_TRUE(c.ready());
    const auto wave_for = [&](std::chrono::milliseconds how_long) {
        const auto end = std::chrono::steady_clock::now() + how_long;
        while (std::chrono::steady_clock::now() < end) {
            c.submit_wave(50);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    };
    wave_for(std::chrono::milliseconds(800));
    c.redis().kill9();
    const std::size_t before_outage = c.futures().size();
    wave_for(std::chrono::milliseconds(800));  // Redis is gone
    const std::size_t during_outage = c.futures().size();
    c.redis().restart();
    // The broker reconnects by itself; then submits are accepted again.
    ASSERT_TRUE(wait_until([&] { return c.stat("redis") == "up"; }, 15.0));
    wave_for(std::chrono::milliseconds(800));

    const auto seen = c.outcomes(120.0);
    shoal::testing::expect_durable(seen, c.redis());
    std::size_t refused = 0;
    for (std::size_t i = before_outage + 50; i < during_outage; ++i) {
        // Submits well inside the outage were refused, never accepted.
        EXPECT_EQ(seen[i].how, seen_task::end::refused_unavailable)
            << "submit " << i << ": " << seen[i].error;
        refused += seen[i].how == seen_task::end::refused_unavailable;
    }
    EXPECT_GT(refused, 0u);
    // And the last ones, after Redis came back, all ran.
    for (std::size_t i = seen.size() - 50; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i].how, seen_task::end::value) << "submit " << i << ": " << seen[i].error;
    }
}

}  // namespace
