// event_loop::call_soon_threadsafe under contention: the one door into a loop from other
// threads must neither lose nor duplicate a callback. Runs under TSan (the 'concurrent'
// label).

#include <cstddef>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "loop_fixture.hpp"
#include "shoal/common/event_loop.hpp"

namespace {

class EventLoopThreadsafeTest : public shoal::testing::loop_fixture {};

TEST_F(EventLoopThreadsafeTest, CallbacksFromFourThreadsAllRunExactlyOnce) {
    constexpr std::size_t thread_count = 4;
    constexpr std::size_t callbacks_per_thread = 10'000;
    constexpr std::size_t total = thread_count * callbacks_per_thread;

    // Touched only on the loop thread, by the callbacks themselves.
    std::vector<int> runs(total, 0);
    std::size_t ran = 0;
    bool ran_on_loop_thread = true;
    const std::thread::id loop_thread = std::this_thread::get_id();

    std::vector<std::thread> producers;
    for (std::size_t t = 0; t < thread_count; ++t) {
        producers.emplace_back([&, t] {
            for (std::size_t i = 0; i < callbacks_per_thread; ++i) {
                const std::size_t index = t * callbacks_per_thread + i;
                loop().call_soon_threadsafe([&, index] {
                    ++runs[index];
                    ran_on_loop_thread =
                        ran_on_loop_thread && std::this_thread::get_id() == loop_thread;
                    if (++ran == total) {
                        loop().stop();
                    }
                });
            }
        });
    }
    // Ends only when the last callback has run: a lost wake-up or a lost callback hangs.
    loop().run_forever();
    for (auto& p : producers) {
        p.join();
    }

    EXPECT_EQ(ran, total);
    EXPECT_TRUE(ran_on_loop_thread);
    std::size_t not_exactly_once = 0;
    for (int r : runs) {
        not_exactly_once += r != 1 ? 1 : 0;
    }
    EXPECT_EQ(not_exactly_once, 0u);
    run_once();  // nothing may arrive late
    EXPECT_EQ(ran, total);
}

TEST_F(EventLoopThreadsafeTest, CallSoonThreadsafeWakesALoopBlockedInPoll) {
    bool ran = false;
    std::thread producer;
    // Start the producer from inside the loop so that the loop is running (and about to
    // block: nothing else is scheduled) when the callback arrives.
    loop().call_soon([&] {
        producer = std::thread([&] {
            loop().call_soon_threadsafe([&] {
                ran = true;
                loop().stop();
            });
        });
    });
    loop().run_forever();
    producer.join();
    EXPECT_TRUE(ran);
}

}  // namespace
