// Submits from many threads and calls are coalesced into batched SUBMIT messages that respect
// the session's max_batch and max_message_bytes; per-submit options travel on the wire.
#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "fake_broker.hpp"
#include "shoal/client/client.hpp"

namespace {

using namespace shoal;
using shoal::testing::fake_broker;
using shoal::testing::quick_options;
using shoal::testing::reply_deadline_s;

inline constexpr task_def<int(int, int)> add{"add"};
inline constexpr task_def<std::string(std::string)> echo{"echo"};

std::size_t task_count(const proto::submit& s) { return s.tasks.size(); }

TEST(Batching, SubmitsFromManyThreadsBeforeTheWelcomeGoOutInFullBatches) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    constexpr int threads = 4;
    constexpr int per_thread = 250;
    std::vector<std::vector<remote_future<int>>> futures(threads);
    std::vector<std::thread> submitters;
    for (int t = 0; t < threads; ++t) {
        submitters.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) futures[t].push_back(c.submit(add, t, i));
        });
    }
    for (auto& s : submitters) s.join();

    auto w = fake_broker::welcome_for_tests();
    w.max_batch = 64;
    broker.handshake(w);
    const auto messages = broker.expect_items<proto::submit>(threads * per_thread, task_count);

    std::map<proto::task_id, std::size_t> position;  // in arrival order
    for (const auto& m : messages) {
        EXPECT_LE(m.tasks.size(), 64u);
        for (const auto& t : m.tasks) position.emplace(t.id, position.size());
    }
    EXPECT_EQ(position.size(), static_cast<std::size_t>(threads * per_thread));  // ids unique
    EXPECT_LE(messages.size(), 20u);  // 1000 tasks in about 16 messages, not 1000
    for (const auto& thread_futures : futures) {
        // Each thread's tasks arrive in the order it submitted them.
        for (std::size_t i = 1; i < thread_futures.size(); ++i) {
            ASSERT_LT(position.at(thread_futures[i - 1].id()), position.at(thread_futures[i].id()));
        }
    }
}

TEST(Batching, SubmitManyIsOneMessageInInputOrder) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    broker.handshake();
    ASSERT_TRUE(c.wait_connected(reply_deadline_s));
    std::vector<std::tuple<int, int>> items;
    for (int i = 0; i < 100; ++i) items.emplace_back(i, 2 * i);
    const auto futures = c.submit_many(add, items);
    auto [identity, s] = broker.expect<proto::submit>();
    ASSERT_EQ(s.tasks.size(), 100u);
    for (std::size_t i = 0; i < s.tasks.size(); ++i) {
        EXPECT_EQ(s.tasks[i].id, futures[i].id());
        EXPECT_EQ((detail::unpack_arguments<int, int>(s.tasks[i].payload, "add")),
                  std::make_tuple(static_cast<int>(i), static_cast<int>(2 * i)));
    }
}

TEST(Batching, MaxBatchSplitsALargeSubmit) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    auto w = fake_broker::welcome_for_tests();
    w.max_batch = 10;
    broker.handshake(w);
    ASSERT_TRUE(c.wait_connected(reply_deadline_s));
    std::vector<int> xs(35, 1);
    std::vector<std::tuple<int, int>> items;
    for (int x : xs) items.emplace_back(x, x);
    c.submit_many(add, items);
    const auto messages = broker.expect_items<proto::submit>(35, task_count);
    ASSERT_EQ(messages.size(), 4u);
    EXPECT_EQ(messages[0].tasks.size(), 10u);
    EXPECT_EQ(messages[3].tasks.size(), 5u);
}

TEST(Batching, SubmitsFromManyThreadsWhileConnectedAreCoalesced) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    broker.handshake();
    ASSERT_TRUE(c.wait_connected(reply_deadline_s));
    constexpr int threads = 4;
    constexpr int per_thread = 500;
    std::vector<std::thread> submitters;
    for (int t = 0; t < threads; ++t) {
        submitters.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) c.submit(add, t, i);
        });
    }
    // Read while they submit, so the socket never fills.
    const auto messages = broker.expect_items<proto::submit>(threads * per_thread, task_count);
    for (auto& s : submitters) s.join();
    EXPECT_LT(messages.size(), static_cast<std::size_t>(threads * per_thread));
}

TEST(Batching, PerSubmitOptionsTravelOnTheWire) {
    using namespace std::chrono_literals;
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    const auto eta = std::chrono::system_clock::time_point(1'700'000'000'000ms);
    const auto expires = eta + 60s;
    auto f = c.submit({.queue = "fast",
                       .priority = 5,
                       .countdown = 1500ms,
                       .eta = eta,
                       .expires = expires,
                       .time_limit = 30s,
                       .max_retries = 2},
                      add, 1, 2);
    broker.handshake();
    auto [identity, s] = broker.expect<proto::submit>();
    ASSERT_EQ(s.tasks.size(), 1u);
    const auto& t = s.tasks[0];
    EXPECT_EQ(t.queue, "fast");
    EXPECT_EQ(t.options.priority, 5u);
    EXPECT_EQ(t.options.countdown_ms, 1500u);
    EXPECT_EQ(t.options.eta_ms, 1'700'000'000'000u);
    EXPECT_EQ(t.options.expires_ms, 1'700'000'060'000u);
    EXPECT_EQ(t.options.time_limit_ms, 30'000u);
    EXPECT_EQ(t.options.max_retries, 2u);
}

TEST(Batching, ATaskLargerThanAnyMessageFailsAloneWithPayloadTooLarge) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    auto w = fake_broker::welcome_for_tests();
    w.max_message_bytes = 4096;
    broker.handshake(w);
    ASSERT_TRUE(c.wait_connected(reply_deadline_s));
    std::vector<std::string> texts{"small", std::string(10'000, 'x'), "also small"};
    const auto futures = c.submit_many(echo, texts);
    EXPECT_THROW(futures[1].get(reply_deadline_s), payload_too_large);
    auto [identity, s] = broker.expect<proto::submit>();
    ASSERT_EQ(s.tasks.size(), 2u);
    EXPECT_EQ(s.tasks[0].id, futures[0].id());
    EXPECT_EQ(s.tasks[1].id, futures[2].id());
}

TEST(Batching, ManySmallTasksSplitByBytes) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    auto w = fake_broker::welcome_for_tests();
    w.max_message_bytes = 8192;
    broker.handshake(w);
    ASSERT_TRUE(c.wait_connected(reply_deadline_s));
    const std::vector<std::string> texts(20, std::string(1000, 'y'));
    c.submit_many(echo, texts);
    const auto messages = broker.expect_items<proto::submit>(20, task_count);
    EXPECT_GE(messages.size(), 3u);  // about 7 tasks of ~1 KB fit in 8 KB
    for (const auto& m : messages) EXPECT_LE(proto::encode(m).size(), 8192u);
}

}  // namespace
