// task_driver: how a task's suspensions meet cancel().

#include "shoal/common/detail/task_driver.hpp"

#include <gtest/gtest.h>

#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"

namespace {

// A sleep far longer than any test may take: only a cancellation can end it in time.
constexpr double hour_seconds = 3600;

// Cancels its own handle while running (as a shutdown helper it called might), then awaits.
shoal::task<void> cancel_self_then_await(shoal::future<void>& self, shoal::future<void> pending) {
    co_await shoal::sleep(0);  // `self` is assigned by now
    self.cancel();
    co_await pending;
}

shoal::task<void> cancel_self_then_sleep(shoal::future<void>& self) {
    co_await shoal::sleep(0);
    self.cancel();
    co_await shoal::sleep(hour_seconds);
}

class TaskDriverTest : public ::testing::Test {
  protected:
    // Runs until `f` is done or a watchdog fires; returns whether `f` finished first.
    bool finishes_promptly(shoal::future<void> f) {
        constexpr double watchdog_seconds = 5;
        auto watchdog = loop_.call_later(watchdog_seconds, [this] { loop_.stop(); });
        try {
            loop_.run_until_complete(f);
        } catch (const shoal::error&) {
        }
        watchdog.cancel();
        return f.done();
    }

    shoal::event_loop loop_;
};

TEST_F(TaskDriverTest, TaskCancelledWhileRunningIsCancelledAtItsNextAwaitOfAPendingFuture) {
    auto pending = loop_.create_future<void>();
    shoal::future<void> self;
    self = loop_.create_task(cancel_self_then_await(self, pending));
    EXPECT_TRUE(finishes_promptly(self));
    EXPECT_TRUE(self.cancelled());
    EXPECT_TRUE(pending.cancelled());  // as asyncio: the request passes to what it awaits
    if (!self.done()) {
        pending.set_result();  // lets the test end if it failed
        finishes_promptly(self);
    }
}

TEST_F(TaskDriverTest, TaskCancelledWhileRunningIsCancelledAtItsNextSleep) {
    shoal::future<void> self;
    self = loop_.create_task(cancel_self_then_sleep(self));
    EXPECT_TRUE(finishes_promptly(self));
    EXPECT_TRUE(self.cancelled());
    if (!self.done()) {
        self.cancel();
        finishes_promptly(self);
    }
}

}  // namespace
