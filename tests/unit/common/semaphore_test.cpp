// shoal::semaphore and shoal::bounded_semaphore: counting, FIFO fairness, cancellation
// passing the wake-up on, the bound, the scoped guard.

#include "shoal/common/semaphore.hpp"

#include <stdexcept>
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

// Acquires, logs `name`, and keeps the slot (the test releases it).
shoal::task<void> take_and_log(shoal::semaphore& sem, log_t& log, std::string name) {
    co_await sem.acquire();
    log.push_back(name);
}

// How many acquire() calls would complete now without waiting (up to at_most); gives the
// slots back, leaving the count as it was.
shoal::task<int> free_slots(shoal::semaphore& sem, int at_most) {
    int taken = 0;
    while (taken < at_most && !sem.locked()) {
        co_await sem.acquire();
        ++taken;
    }
    for (int i = 0; i < taken; ++i) {
        sem.release();
    }
    co_return taken;
}

class SemaphoreTest : public ::testing::Test {
  protected:
    shoal::event_loop loop_;
    log_t log_;
};

TEST_F(SemaphoreTest, DefaultSemaphoreHasOneSlot) {
    shoal::semaphore sem;
    EXPECT_FALSE(sem.locked());
    EXPECT_EQ(loop_.run_until_complete(free_slots(sem, 10)), 1);
}

TEST_F(SemaphoreTest, InitialValueIsTheNumberOfAcquiresThatDoNotWait) {
    shoal::semaphore sem(3);
    loop_.run_until_complete([](shoal::semaphore& s) -> shoal::task<void> {
        co_await s.acquire();
        EXPECT_FALSE(s.locked());
        co_await s.acquire();
        EXPECT_FALSE(s.locked());
        co_await s.acquire();
        EXPECT_TRUE(s.locked());
    }(sem));
}

TEST_F(SemaphoreTest, ZeroValueSemaphoreIsLockedFromTheStart) {
    shoal::semaphore sem(0);
    EXPECT_TRUE(sem.locked());
}

TEST_F(SemaphoreTest, NegativeInitialValueThrowsInvalidArgument) {
    EXPECT_THROW(shoal::semaphore(-1), std::invalid_argument);
    EXPECT_THROW(shoal::bounded_semaphore(-1), std::invalid_argument);
}

TEST_F(SemaphoreTest, AcquireWaitsUntilARelease) {
    shoal::semaphore sem(0);
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::semaphore& s, log_t& log) -> shoal::task<void> {
            auto waiter = loop.create_task(take_and_log(s, log, "waiter"));
            co_await yield_passes(settle_passes);
            EXPECT_FALSE(waiter.done());
            s.release();
            co_await waiter;
            EXPECT_EQ(log, log_t{"waiter"});
            EXPECT_TRUE(s.locked());  // the waiter holds the only slot
        }(loop_, sem, log_));
}

TEST_F(SemaphoreTest, EachReleaseWakesExactlyOneWaiterInFifoOrder) {
    shoal::semaphore sem(0);
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::semaphore& s, log_t& log) -> shoal::task<void> {
            auto a = loop.create_task(take_and_log(s, log, "a"));
            auto b = loop.create_task(take_and_log(s, log, "b"));
            auto c = loop.create_task(take_and_log(s, log, "c"));
            co_await yield_passes(settle_passes);
            s.release();
            co_await yield_passes(settle_passes);
            EXPECT_EQ(log, log_t{"a"});
            s.release();
            s.release();
            co_await yield_passes(settle_passes);
            EXPECT_EQ(log, (log_t{"a", "b", "c"}));
            for (auto* t : {&a, &b, &c}) {
                t->cancel();
            }
        }(loop_, sem, log_));
}

TEST_F(SemaphoreTest, NewcomerQueuesBehindWaitersEvenWhenASlotIsFree) {
    shoal::semaphore sem(0);
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::semaphore& s, log_t& log) -> shoal::task<void> {
            auto waiter = loop.create_task(take_and_log(s, log, "waiter"));
            co_await yield_passes(settle_passes);
            s.release();  // reserved for the waiter, which has not resumed yet
            EXPECT_TRUE(s.locked());
            s.release();  // a second slot: free, but the newcomer is still served after the waiter
            co_await take_and_log(s, log, "newcomer");
            EXPECT_EQ(log, (log_t{"waiter", "newcomer"}));
            co_await waiter;
        }(loop_, sem, log_));
}

TEST_F(SemaphoreTest, CancellingAWaiterAboutToBeWokenPassesTheWakeUpOn) {
    shoal::semaphore sem(0);
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::semaphore& s, log_t& log) -> shoal::task<void> {
            auto first = loop.create_task(take_and_log(s, log, "first"));
            auto second = loop.create_task(take_and_log(s, log, "second"));
            co_await yield_passes(settle_passes);
            s.release();     // wakes `first`, reserving the slot for it ...
            first.cancel();  // ... which is cancelled before it can resume
            co_await yield_passes(settle_passes);
            EXPECT_TRUE(first.cancelled());
            EXPECT_TRUE(second.done()) << "the wake-up was lost with the cancelled waiter";
            EXPECT_EQ(log, log_t{"second"});
            second.cancel();
        }(loop_, sem, log_));
}

TEST_F(SemaphoreTest, CancelledWaiterLeavesTheCountUnchanged) {
    shoal::semaphore sem(1);
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::semaphore& s, log_t& log) -> shoal::task<void> {
            co_await s.acquire();
            auto waiter = loop.create_task(take_and_log(s, log, "waiter"));
            co_await yield_passes(settle_passes);
            waiter.cancel();
            co_await yield_passes(settle_passes);
            EXPECT_TRUE(waiter.cancelled());
            s.release();
            const int free = co_await free_slots(s, 10);
            EXPECT_EQ(free, 1);
        }(loop_, sem, log_));
}

TEST_F(SemaphoreTest, PlainSemaphoreMayBeReleasedPastItsInitialValue) {
    shoal::semaphore sem(1);
    sem.release();
    EXPECT_EQ(loop_.run_until_complete(free_slots(sem, 10)), 2);
}

TEST_F(SemaphoreTest, BoundedSemaphoreReleasePastInitialValueThrowsInvalidState) {
    shoal::bounded_semaphore sem(2);
    loop_.run_until_complete([](shoal::bounded_semaphore& s) -> shoal::task<void> {
        co_await s.acquire();
        s.release();
    }(sem));
    EXPECT_THROW(sem.release(), shoal::invalid_state_error);
    EXPECT_EQ(loop_.run_until_complete(free_slots(sem, 10)), 2);
}

TEST_F(SemaphoreTest, BoundedSemaphoreRefusesThroughABaseReference) {
    shoal::bounded_semaphore bounded(1);
    shoal::semaphore& sem = bounded;
    EXPECT_THROW(sem.release(), shoal::invalid_state_error);
}

TEST_F(SemaphoreTest, ScopedGuardHoldsASlotUntilItGoesOutOfScope) {
    shoal::semaphore sem(1);
    loop_.run_until_complete([](shoal::semaphore& s) -> shoal::task<void> {
        {
            auto guard = co_await s.scoped();
            EXPECT_TRUE(guard.owns());
            EXPECT_TRUE(s.locked());
        }
        EXPECT_FALSE(s.locked());
    }(sem));
}

TEST_F(SemaphoreTest, ScopedGuardOnBoundedSemaphoreReleasesWithoutError) {
    shoal::bounded_semaphore sem(1);
    loop_.run_until_complete([](shoal::bounded_semaphore& s) -> shoal::task<void> {
        { auto guard = co_await s.scoped(); }
        EXPECT_FALSE(s.locked());
        EXPECT_THROW(s.release(), shoal::invalid_state_error);
    }(sem));
}

}  // namespace
