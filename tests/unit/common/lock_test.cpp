// shoal::lock: acquire/release, FIFO fairness, cancellation passing the wake-up on, the
// scoped guard, loop binding.

#include "shoal/common/lock.hpp"

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

// Acquires the lock, logs `name`, and holds the lock until `release` is set (or releases at
// once when `release` is null).
shoal::task<void> take_and_log(shoal::lock& lk, log_t& log, std::string name,
                               shoal::future<void>* release = nullptr) {
    co_await lk.acquire();
    log.push_back(name);
    if (release != nullptr) {
        co_await *release;
    }
    lk.release();
}

class LockTest : public ::testing::Test {
  protected:
    shoal::event_loop loop_;
    shoal::lock lock_;
    log_t log_;
};

TEST_F(LockTest, NewLockIsUnlocked) { EXPECT_FALSE(lock_.locked()); }

TEST_F(LockTest, AcquireOfFreeLockSucceedsWithoutYieldingToTheLoop) {
    loop_.run_until_complete([](shoal::event_loop& loop, shoal::lock& lk) -> shoal::task<void> {
        bool other_ran = false;
        auto other = loop.create_task([](bool& ran) -> shoal::task<void> {
            ran = true;
            co_return;
        }(other_ran));
        co_await lk.acquire();
        EXPECT_TRUE(lk.locked());
        EXPECT_FALSE(other_ran);
        co_await other;
    }(loop_, lock_));
}

TEST_F(LockTest, ReleaseMakesTheLockFreeAgain) {
    loop_.run_until_complete([](shoal::lock& lk) -> shoal::task<void> {
        co_await lk.acquire();
        lk.release();
        EXPECT_FALSE(lk.locked());
    }(lock_));
}

TEST_F(LockTest, ReleaseOfUnlockedLockThrowsInvalidState) {
    EXPECT_THROW(lock_.release(), shoal::invalid_state_error);
}

TEST_F(LockTest, AcquireWaitsWhileTheLockIsHeld) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::lock& lk, log_t& log) -> shoal::task<void> {
            co_await lk.acquire();
            auto waiter = loop.create_task(take_and_log(lk, log, "waiter"));
            co_await yield_passes(settle_passes);
            EXPECT_TRUE(log.empty());
            EXPECT_FALSE(waiter.done());
            lk.release();
            co_await waiter;
            EXPECT_EQ(log, log_t{"waiter"});
        }(loop_, lock_, log_));
}

TEST_F(LockTest, WaitersAcquireInTheOrderTheyAsked) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::lock& lk, log_t& log) -> shoal::task<void> {
            co_await lk.acquire();
            auto first = loop.create_task(take_and_log(lk, log, "first"));
            auto second = loop.create_task(take_and_log(lk, log, "second"));
            auto third = loop.create_task(take_and_log(lk, log, "third"));
            co_await yield_passes(settle_passes);
            lk.release();
            co_await third;
            EXPECT_TRUE(first.done() && second.done());
            EXPECT_EQ(log, (log_t{"first", "second", "third"}));
        }(loop_, lock_, log_));
}

TEST_F(LockTest, NewcomerQueuesBehindAWaiterWokenButNotYetResumed) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::lock& lk, log_t& log) -> shoal::task<void> {
            co_await lk.acquire();
            auto waiter = loop.create_task(take_and_log(lk, log, "waiter"));
            co_await yield_passes(settle_passes);
            lk.release();
            EXPECT_FALSE(lk.locked());  // the woken waiter takes it only when it resumes
            co_await take_and_log(lk, log, "newcomer");
            EXPECT_EQ(log, (log_t{"waiter", "newcomer"}));
            co_await waiter;
        }(loop_, lock_, log_));
}

TEST_F(LockTest, CancellingAWaiterAboutToBeWokenPassesTheWakeUpOn) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::lock& lk, log_t& log) -> shoal::task<void> {
            co_await lk.acquire();
            auto first = loop.create_task(take_and_log(lk, log, "first"));
            auto second = loop.create_task(take_and_log(lk, log, "second"));
            co_await yield_passes(settle_passes);
            lk.release();    // wakes `first` ...
            first.cancel();  // ... which is cancelled before it can resume
            co_await yield_passes(settle_passes);
            EXPECT_TRUE(first.cancelled());
            EXPECT_TRUE(second.done()) << "the wake-up was lost with the cancelled waiter";
            EXPECT_EQ(log, log_t{"second"});
            EXPECT_FALSE(lk.locked());
            second.cancel();  // lets the test end if it failed
        }(loop_, lock_, log_));
}

TEST_F(LockTest, CancelledFirstWaiterDoesNotBlockTheNextOne) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::lock& lk, log_t& log) -> shoal::task<void> {
            co_await lk.acquire();
            auto first = loop.create_task(take_and_log(lk, log, "first"));
            auto second = loop.create_task(take_and_log(lk, log, "second"));
            co_await yield_passes(settle_passes);
            first.cancel();  // its waiter future is cancelled, still listed until it resumes
            lk.release();
            co_await yield_passes(settle_passes);
            EXPECT_TRUE(first.cancelled());
            EXPECT_TRUE(second.done());
            EXPECT_EQ(log, log_t{"second"});
            second.cancel();
        }(loop_, lock_, log_));
}

TEST_F(LockTest, CancelledWaiterDoesNotHoldTheLock) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::lock& lk, log_t& log) -> shoal::task<void> {
            co_await lk.acquire();
            auto waiter = loop.create_task(take_and_log(lk, log, "waiter"));
            co_await yield_passes(settle_passes);
            waiter.cancel();
            co_await yield_passes(settle_passes);
            EXPECT_TRUE(waiter.cancelled());
            lk.release();
            EXPECT_FALSE(lk.locked());
            co_await lk.acquire();  // no stale waiter in the way
            EXPECT_TRUE(lk.locked());
            EXPECT_TRUE(log.empty());
        }(loop_, lock_, log_));
}

TEST_F(LockTest, ScopedGuardHoldsTheLockUntilItGoesOutOfScope) {
    loop_.run_until_complete([](shoal::lock& lk) -> shoal::task<void> {
        {
            auto guard = co_await lk.scoped();
            EXPECT_TRUE(guard.owns());
            EXPECT_TRUE(lk.locked());
        }
        EXPECT_FALSE(lk.locked());
    }(lock_));
}

TEST_F(LockTest, ScopedGuardCanReleaseEarlyAndThenDoesNothingAtScopeExit) {
    loop_.run_until_complete([](shoal::lock& lk) -> shoal::task<void> {
        {
            auto guard = co_await lk.scoped();
            guard.release();
            EXPECT_FALSE(guard.owns());
            EXPECT_FALSE(lk.locked());
            co_await lk.acquire();  // someone else's hold, which the guard must not drop
        }
        EXPECT_TRUE(lk.locked());
    }(lock_));
}

TEST_F(LockTest, MovedGuardReleasesOnlyOnce) {
    loop_.run_until_complete([](shoal::lock& lk) -> shoal::task<void> {
        {
            auto guard = co_await lk.scoped();
            shoal::lock::guard moved = std::move(guard);
            EXPECT_FALSE(guard.owns());  // NOLINT(bugprone-use-after-move)
            EXPECT_TRUE(moved.owns());
        }
        EXPECT_FALSE(lk.locked());
    }(lock_));
}

TEST_F(LockTest, WaitingFromASecondLoopThrowsEventLoopError) {
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::lock& lk, log_t& log) -> shoal::task<void> {
            co_await lk.acquire();
            auto waiter = loop.create_task(take_and_log(lk, log, "waiter"));  // binds the lock
            co_await yield_passes(settle_passes);
            waiter.cancel();
            co_await yield_passes(settle_passes);
        }(loop_, lock_, log_));
    shoal::event_loop other;
    EXPECT_THROW(other.run_until_complete(lock_.acquire()), shoal::event_loop_error);
}

}  // namespace
