// embedded_broker across threads (run under TSan too): call() from the test thread, stop,
// destruction without stop. No messages travel here: libzmq is not built for TSan, and its
// lock-free pipes between an application thread and its I/O thread look like races to it.

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

TEST(EmbeddedBroker, CallRunsOnTheBrokersThreadAndReturnsItsValue) {
    embedded_broker b(fast_config());
    const auto test_thread = std::this_thread::get_id();
    const auto broker_thread = b.call([](broker&) { return std::this_thread::get_id(); });
    EXPECT_NE(broker_thread, test_thread);
    EXPECT_EQ(b.call([](broker& x) { return x.endpoint(); }), b.endpoint());
    EXPECT_TRUE(b.call([](broker& x) { return x.is_bound(); }));
}

TEST(EmbeddedBroker, CallPassesExceptionsBack) {
    embedded_broker b(fast_config());
    EXPECT_THROW(b.call([](broker&) -> int { throw std::runtime_error("boom"); }),
                 std::runtime_error);
    b.call([](broker&) {});  // still serving
}

TEST(EmbeddedBroker, StopIsIdempotentAndCallAfterStopThrows) {
    embedded_broker b(fast_config());
    b.stop();
    b.stop();
    EXPECT_THROW(b.call([](broker&) {}), broker_error);
}

TEST(EmbeddedBroker, ManyThreadsMayCall) {
    embedded_broker b(fast_config());
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                if (b.call([](broker& x) { return x.stats().submitted; }) == 0) ++ok;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 200);
}

TEST(EmbeddedBroker, DestructorStopsARunningBroker) {
    std::string endpoint;
    {
        embedded_broker b(fast_config());
        endpoint = b.endpoint();
    }
    // The port is free again: another broker can bind it.
    auto config = fast_config();
    config.bind = endpoint;
    embedded_broker again(config);
    EXPECT_EQ(again.endpoint(), endpoint);
}

}  // namespace
