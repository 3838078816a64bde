// Redis is stopped (SIGSTOP) for 10 s while clients submit: submits get a clear, retryable
// error within the Redis timeout, the broker keeps serving (inspect answers, no worker is
// declared dead), its memory stays bounded, and once Redis resumes everything recovers by
// itself with nothing lost.

#include <algorithm>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "process/wait_until.hpp"
#include "redis/durable_cluster.hpp"

namespace {

// What the broker may grow by while Redis is stopped and every submit is refused: nothing in
// principle (a release build grows by kilobytes); ASan keeps freed memory in its quarantine
// (256 MB by default), so its builds get a looser bound.
#if defined(__SANITIZE_ADDRESS__)
constexpr long max_growth_kib = 192 * 1024;
#else
constexpr long max_growth_kib = 64 * 1024;
#endif

using shoal::testing::durable_cluster;
using shoal::testing::seen_task;
using shoal::testing::wait_until;

TEST(RedisHang, SigstopRedisForTenSecondsThenEverythingRecovers) {
    durable_cluster c({}, 1.0);
    ASSERT_TRUE(c.ready());
    c.submit_wave(1000);
    ASSERT_TRUE(wait_until([&] { return c.finished() == 1000; }, 60.0));
    const long rss_before = c.broker_rss_kib();

    c.redis().pause();
    const auto paused_at = std::chrono::steady_clock::now();
    long rss_max = rss_before;
    bool inspect_answered = true;
    std::size_t first_in_pause = c.futures().size();
    while (std::chrono::steady_clock::now() - paused_at < std::chrono::seconds(10)) {
        c.submit_wave(100);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        rss_max = std::max(rss_max, c.broker_rss_kib());
        if (c.futures().size() % 1000 == 0) {
            // The broker's loop is not blocked on Redis: it answers, and keeps its workers.
            const auto workers = c.client().inspect("workers").result(5.0).rows.size();
            inspect_answered = inspect_answered && workers == 2;
        }
    }
    const std::size_t last_in_pause = c.futures().size();
    // A submit sent while Redis is stopped is refused within the timeout (1 s), not left hanging.
    const auto& probe = c.futures()[last_in_pause - 1];
    EXPECT_TRUE(wait_until([&] { return probe.done(); }, 3.0))
        << "a submit hangs while Redis is stopped";
    EXPECT_EQ(c.stat("workers_dead"), "0");
    EXPECT_EQ(c.stat("redis") == "up", false);
    EXPECT_TRUE(inspect_answered);
    c.redis().resume();

    ASSERT_TRUE(wait_until([&] { return c.stat("redis") == "up"; }, 15.0))
        << "no automatic recovery";
    c.submit_wave(500);
    const auto seen = c.outcomes(120.0);
    shoal::testing::expect_durable(seen, c.redis());
    std::size_t refused = 0;
    for (std::size_t i = first_in_pause; i < last_in_pause; ++i) {
        refused += seen[i].how == seen_task::end::refused_unavailable;
    }
    std::printf("during the 10 s stop: %zu submits, %zu refused; broker RSS %ld -> max %ld KiB\n",
                last_in_pause - first_in_pause, refused, rss_before, rss_max);
    EXPECT_GT(refused, (last_in_pause - first_in_pause) / 2);
    EXPECT_LT(rss_max - rss_before, max_growth_kib) << "broker memory grew while Redis was stopped";
    for (std::size_t i = seen.size() - 500; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i].how, seen_task::end::value) << "after the resume, submit " << i;
    }
}

}  // namespace
