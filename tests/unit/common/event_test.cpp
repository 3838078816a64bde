// shoal::event: the flag, waking every waiter, cancellation, loop binding.

#include "shoal/common/event.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"
#include "yield_passes.hpp"

namespace {

using log_t = shoal::testing::event_log;
using shoal::testing::settle_passes;
using shoal::testing::yield_passes;

shoal::task<void> wait_and_log(shoal::event& ev, log_t& log, std::string name) {
    co_await ev.wait();
    log.push_back(name);
}

class EventTest : public ::testing::Test {
  protected:
    shoal::event_loop loop_;
    shoal::event event_;
    log_t log_;
};

TEST_F(EventTest, NewEventIsNotSet) { EXPECT_FALSE(event_.is_set()); }

TEST_F(EventTest, SetAndClearToggleTheFlag) {
    event_.set();
    EXPECT_TRUE(event_.is_set());
    event_.set();
    EXPECT_TRUE(event_.is_set());
    event_.clear();
    EXPECT_FALSE(event_.is_set());
}

TEST_F(EventTest, WaitOnSetEventReturnsWithoutYieldingToTheLoop) {
    event_.set();
    loop_.run_until_complete([](shoal::event_loop& loop, shoal::event& ev) -> shoal::task<void> {
        bool other_ran = false;
        auto other = loop.create_task([](bool& ran) -> shoal::task<void> {
            ran = true;
            co_return;
        }(other_ran));
        co_await ev.wait();
        EXPECT_FALSE(other_ran);
        co_await other;
    }(loop_, event_));
}

TEST_F(EventTest, WaitBlocksUntilSet) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::event& ev, log_t& log) -> shoal::task<void> {
            auto waiter = loop.create_task(wait_and_log(ev, log, "waiter"));
            co_await yield_passes(settle_passes);
            EXPECT_FALSE(waiter.done());
            log.push_back("set");
            ev.set();
            co_await waiter;
            EXPECT_EQ(log, (log_t{"set", "waiter"}));
        }(loop_, event_, log_));
}

TEST_F(EventTest, SetWakesEveryWaiterInTheOrderTheyWaited) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::event& ev, log_t& log) -> shoal::task<void> {
            auto a = loop.create_task(wait_and_log(ev, log, "a"));
            auto b = loop.create_task(wait_and_log(ev, log, "b"));
            auto c = loop.create_task(wait_and_log(ev, log, "c"));
            co_await yield_passes(settle_passes);
            ev.set();
            co_await yield_passes(settle_passes);
            EXPECT_TRUE(a.done() && b.done() && c.done());
            EXPECT_EQ(log, (log_t{"a", "b", "c"}));
            for (auto* t : {&a, &b, &c}) {
                t->cancel();  // lets the test end if it failed
            }
        }(loop_, event_, log_));
}

TEST_F(EventTest, ClearRightAfterSetDoesNotTakeTheWakeUpBack) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::event& ev, log_t& log) -> shoal::task<void> {
            auto waiter = loop.create_task(wait_and_log(ev, log, "waiter"));
            co_await yield_passes(settle_passes);
            ev.set();
            ev.clear();
            co_await yield_passes(settle_passes);
            EXPECT_TRUE(waiter.done());
            EXPECT_FALSE(ev.is_set());
            waiter.cancel();
        }(loop_, event_, log_));
}

TEST_F(EventTest, WaitAfterClearBlocksAgain) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::event& ev, log_t& log) -> shoal::task<void> {
            ev.set();
            ev.clear();
            auto waiter = loop.create_task(wait_and_log(ev, log, "waiter"));
            co_await yield_passes(settle_passes);
            EXPECT_FALSE(waiter.done());
            ev.set();
            co_await waiter;
        }(loop_, event_, log_));
}

TEST_F(EventTest, CancelledWaiterEndsCancelledAndOthersStillWake) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::event& ev, log_t& log) -> shoal::task<void> {
            auto a = loop.create_task(wait_and_log(ev, log, "a"));
            auto b = loop.create_task(wait_and_log(ev, log, "b"));
            co_await yield_passes(settle_passes);
            a.cancel();
            co_await yield_passes(settle_passes);
            EXPECT_TRUE(a.cancelled());
            ev.set();
            co_await b;
            EXPECT_EQ(log, log_t{"b"});
        }(loop_, event_, log_));
}

TEST_F(EventTest, WaitingFromASecondLoopThrowsEventLoopError) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::event& ev, log_t& log) -> shoal::task<void> {
            auto waiter = loop.create_task(wait_and_log(ev, log, "waiter"));  // binds the event
            co_await yield_passes(settle_passes);
            waiter.cancel();
            co_await yield_passes(settle_passes);
        }(loop_, event_, log_));
    shoal::event_loop other;
    EXPECT_THROW(other.run_until_complete(event_.wait()), shoal::event_loop_error);
}

}  // namespace
