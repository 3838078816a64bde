// Behaviour of shoal::event_loop pinned to asyncio's event loop: FIFO callbacks, pass
// boundaries, timers on a manual clock, stop/close rules, error reporting, fd and ZeroMQ
// readiness. Sequencing is by passes (run_once) and events, never by sleeping.

#include "shoal/common/event_loop.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "lifetime_counter.hpp"
#include "loop_fixture.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/handle.hpp"

namespace {

using shoal::event_loop_error;
using shoal::testing::lifetime_counter;
using shoal::testing::lifetime_stats;

class EventLoopTest : public shoal::testing::loop_fixture {};

// A pipe closed on scope exit.
class test_pipe {
  public:
    test_pipe() {
        if (::pipe(fds_.data()) != 0) {
            throw std::runtime_error("pipe failed");
        }
    }
    ~test_pipe() {
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    test_pipe(const test_pipe&) = delete;
    test_pipe& operator=(const test_pipe&) = delete;

    int read_end() const { return fds_[0]; }
    int write_end() const { return fds_[1]; }
    void write_byte() const { ASSERT_EQ(::write(fds_[1], "x", 1), 1); }
    void read_byte() const {
        char c = 0;
        ASSERT_EQ(::read(fds_[0], &c, 1), 1);
    }

  private:
    std::array<int, 2> fds_{};
};

// ---------------------------------------------------------------- call_soon

TEST_F(EventLoopTest, CallSoonRunsCallbacksInFifoOrder) {
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) {
        loop().call_soon([&order, i] { order.push_back(i); });
    }
    run_once();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(EventLoopTest, CallbackScheduledDuringPassRunsOnNextPass) {
    std::vector<std::string> order;
    loop().call_soon([&] {
        order.push_back("first");
        loop().call_soon([&] { order.push_back("scheduled by first"); });
    });
    loop().call_soon([&] { order.push_back("second"); });
    run_once();
    EXPECT_EQ(order, (std::vector<std::string>{"first", "second"}));
    run_once();
    EXPECT_EQ(order, (std::vector<std::string>{"first", "second", "scheduled by first"}));
}

TEST_F(EventLoopTest, CancelledHandleDoesNotRun) {
    bool ran = false;
    bool other_ran = false;
    shoal::handle h = loop().call_soon([&] { ran = true; });
    loop().call_soon([&] { other_ran = true; });
    h.cancel();
    EXPECT_TRUE(h.cancelled());
    run_once();
    EXPECT_FALSE(ran);
    EXPECT_TRUE(other_ran);
}

TEST_F(EventLoopTest, HandleCancelledByEarlierCallbackOfSamePassDoesNotRun) {
    bool ran = false;
    shoal::handle later;
    loop().call_soon([&] { later.cancel(); });
    later = loop().call_soon([&] { ran = true; });
    run_once();
    EXPECT_FALSE(ran);
}

// ---------------------------------------------------------------- timers

TEST_F(EventLoopTest, CallLaterDoesNotFireBeforeItsDelay) {
    bool fired = false;
    loop().call_later(2.0, [&] { fired = true; });
    advance(1.0);
    EXPECT_FALSE(fired);
    advance(1.0);
    EXPECT_TRUE(fired);
}

TEST_F(EventLoopTest, CallLaterFiresByTimeThenBySchedulingOrder) {
    std::vector<std::string> order;
    loop().call_later(3.0, [&] { order.push_back("3s"); });
    loop().call_later(1.0, [&] { order.push_back("1s first"); });
    loop().call_later(2.0, [&] { order.push_back("2s"); });
    loop().call_later(1.0, [&] { order.push_back("1s second"); });
    advance(5.0);
    EXPECT_EQ(order, (std::vector<std::string>{"1s first", "1s second", "2s", "3s"}));
}

TEST_F(EventLoopTest, TimerDueRunsAfterCallbacksAlreadyReady) {
    std::vector<std::string> order;
    loop().call_later(1.0, [&] { order.push_back("timer"); });
    loop().call_soon([&] { order.push_back("soon"); });
    clock().advance(1.0);
    run_once();
    EXPECT_EQ(order, (std::vector<std::string>{"soon", "timer"}));
}

TEST_F(EventLoopTest, CallAtFiresAtTheGivenLoopTime) {
    bool fired = false;
    const double when = loop().time() + 2.0;
    shoal::timer_handle h = loop().call_at(when, [&] { fired = true; });
    EXPECT_DOUBLE_EQ(h.when(), when);
    clock().set(when - 0.5);
    run_once();
    EXPECT_FALSE(fired);
    clock().set(when);
    run_once();
    EXPECT_TRUE(fired);
}

TEST_F(EventLoopTest, CallAtInThePastFiresOnNextPass) {
    bool fired = false;
    loop().call_at(loop().time() - 10.0, [&] { fired = true; });
    run_once();
    EXPECT_TRUE(fired);
}

TEST_F(EventLoopTest, CancelledTimerDoesNotFire) {
    bool fired = false;
    shoal::timer_handle h = loop().call_later(1.0, [&] { fired = true; });
    h.cancel();
    EXPECT_TRUE(h.cancelled());
    advance(2.0);
    EXPECT_FALSE(fired);
}

TEST_F(EventLoopTest, CancelledTimerInsideCallbackDoesNotFire) {
    std::vector<std::string> order;
    shoal::timer_handle second;
    loop().call_later(1.0, [&] {
        order.push_back("first");
        second.cancel();
    });
    second = loop().call_later(1.0, [&] { order.push_back("second"); });
    loop().call_later(1.0, [&] { order.push_back("third"); });
    advance(1.0);
    EXPECT_EQ(order, (std::vector<std::string>{"first", "third"}));
}

TEST_F(EventLoopTest, TimerCancelledByReadyCallbackOfSamePassDoesNotFire) {
    bool fired = false;
    shoal::timer_handle timer = loop().call_later(1.0, [&] { fired = true; });
    loop().call_soon([&] { timer.cancel(); });
    clock().advance(1.0);
    run_once();  // the timer is due in this pass, behind the cancelling callback
    EXPECT_FALSE(fired);
}

TEST_F(EventLoopTest, CancelledTimerReleasesItsCapturesAtOnce) {
    lifetime_stats stats;
    shoal::timer_handle h = loop().call_later(10.0, [token = lifetime_counter(stats)] {});
    EXPECT_EQ(stats.alive(), 1);
    h.cancel();
    EXPECT_EQ(stats.alive(), 0);
}

TEST_F(EventLoopTest, FiredTimerReleasesItsCaptures) {
    lifetime_stats stats;
    loop().call_later(1.0, [token = lifetime_counter(stats)] {});
    advance(1.0);
    EXPECT_EQ(stats.alive(), 0);
}

TEST_F(EventLoopTest, CancellingAFiredTimerIsHarmless) {
    int fired = 0;
    shoal::timer_handle h = loop().call_later(1.0, [&] { ++fired; });
    advance(1.0);
    ASSERT_EQ(fired, 1);
    h.cancel();  // its slot may be reused: this must not cancel the next timer
    bool next_fired = false;
    loop().call_later(1.0, [&] { next_fired = true; });
    h.cancel();
    advance(1.0);
    EXPECT_TRUE(next_fired);
    EXPECT_EQ(fired, 1);
}

TEST_F(EventLoopTest, TimersStayCorrectAfterTenThousandCancelCycles) {
    constexpr int cycles = 10'000;
    lifetime_stats stats;
    int cancelled_fired = 0;
    int kept_fired = 0;
    std::vector<double> kept_times;
    for (int i = 0; i < cycles; ++i) {
        shoal::timer_handle h = loop().call_later(
            5.0 + i * 1e-3,
            [&cancelled_fired, token = lifetime_counter(stats)] { ++cancelled_fired; });
        if (i % 1000 == 0) {
            loop().call_later(1.0 + i * 1e-4, [&] {
                ++kept_fired;
                kept_times.push_back(loop().time());
            });
        }
        h.cancel();
        if (i % 100 == 0) {
            run_once();  // lets the loop look at (and skip or compact) stale entries
        }
    }
    EXPECT_EQ(stats.alive(), 0);
    EXPECT_EQ(kept_fired, 0);
    advance(1.0 + cycles * 1e-4);
    EXPECT_EQ(kept_fired, cycles / 1000);
    EXPECT_TRUE(std::is_sorted(kept_times.begin(), kept_times.end()));
    advance(5.0 + cycles * 1e-3);
    EXPECT_EQ(cancelled_fired, 0);
    EXPECT_EQ(kept_fired, cycles / 1000);
    // And the loop still schedules normally.
    bool fired = false;
    loop().call_later(1.0, [&] { fired = true; });
    advance(1.0);
    EXPECT_TRUE(fired);
}

// ---------------------------------------------------------------- stop, run, close

TEST_F(EventLoopTest, StopInsideCallbackEndsRunForeverAfterThePass) {
    std::vector<std::string> order;
    loop().call_soon([&] {
        order.push_back("stopper");
        loop().stop();
    });
    loop().call_soon([&] {
        order.push_back("same pass");
        loop().call_soon([&] { order.push_back("next pass"); });
    });
    loop().run_forever();
    EXPECT_EQ(order, (std::vector<std::string>{"stopper", "same pass"}));
    EXPECT_FALSE(loop().is_running());
    run_once();
    EXPECT_EQ(order.back(), "next pass");
}

TEST_F(EventLoopTest, StopBeforeRunForeverRunsOnePass) {
    int first_pass = 0;
    int second_pass = 0;
    loop().call_soon([&] {
        ++first_pass;
        loop().call_soon([&] { ++second_pass; });
    });
    loop().stop();
    loop().run_forever();
    EXPECT_EQ(first_pass, 1);
    EXPECT_EQ(second_pass, 0);
}

TEST_F(EventLoopTest, RunForeverOnARunningLoopThrows) {
    bool threw = false;
    loop().call_soon([&] {
        try {
            loop().run_forever();
        } catch (const event_loop_error&) {
            threw = true;
        }
    });
    run_once();
    EXPECT_TRUE(threw);
}

TEST_F(EventLoopTest, CloseOnARunningLoopThrows) {
    bool threw = false;
    loop().call_soon([&] {
        try {
            loop().close();
        } catch (const event_loop_error&) {
            threw = true;
        }
    });
    run_once();
    EXPECT_TRUE(threw);
    EXPECT_FALSE(loop().is_closed());
}

TEST_F(EventLoopTest, CallSoonAfterCloseThrows) {
    loop().close();
    EXPECT_TRUE(loop().is_closed());
    EXPECT_THROW(loop().call_soon([] {}), event_loop_error);
    EXPECT_THROW(loop().call_later(1.0, [] {}), event_loop_error);
    EXPECT_THROW(loop().call_soon_threadsafe([] {}), event_loop_error);
    EXPECT_THROW(loop().run_forever(), event_loop_error);
}

TEST_F(EventLoopTest, ClosingAClosedLoopAgainDoesNotThrow) {
    loop().close();
    EXPECT_NO_THROW(loop().close());
    EXPECT_TRUE(loop().is_closed());
}

TEST_F(EventLoopTest, CloseReleasesPendingCallbacksAndTimers) {
    lifetime_stats stats;
    loop().call_soon([token = lifetime_counter(stats)] {});
    loop().call_later(10.0, [token = lifetime_counter(stats)] {});
    EXPECT_EQ(stats.alive(), 2);
    loop().close();
    EXPECT_EQ(stats.alive(), 0);
}

// ---------------------------------------------------------------- errors

TEST_F(EventLoopTest, ThrowingCallbackReachesTheExceptionHandlerAndTheLoopGoesOn) {
    bool next_ran = false;
    loop().call_soon([] { throw std::out_of_range("boom"); });
    loop().call_soon([&] { next_ran = true; });
    run_once();
    EXPECT_TRUE(next_ran);
    const auto reports = take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].message, "Exception in callback");
    EXPECT_TRUE(reports[0].holds<std::out_of_range>());
    EXPECT_EQ(reports[0].what, "boom");
}

TEST_F(EventLoopTest, ThrowingExceptionHandlerDoesNotKillTheLoop) {
    int handler_calls = 0;
    loop().set_exception_handler([&](shoal::event_loop&, const shoal::exception_context&) {
        ++handler_calls;
        throw std::runtime_error("handler failed");
    });
    bool next_ran = false;
    loop().call_soon([] { throw std::runtime_error("boom"); });
    loop().call_soon([&] { next_ran = true; });
    run_once();
    EXPECT_EQ(handler_calls, 1);
    EXPECT_TRUE(next_ran);
    bool later_ran = false;
    loop().call_soon([&] { later_ran = true; });
    run_once();
    EXPECT_TRUE(later_ran);
}

TEST_F(EventLoopTest, ThrowingTimerCallbackReachesTheExceptionHandler) {
    loop().call_later(1.0, [] { throw std::logic_error("timer boom"); });
    advance(1.0);
    const auto reports = take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_TRUE(reports[0].holds<std::logic_error>());
}

// ---------------------------------------------------------------- current()

TEST_F(EventLoopTest, CurrentInsideACallbackIsTheRunningLoop) {
    shoal::event_loop* seen = nullptr;
    loop().call_soon([&] { seen = &shoal::event_loop::current(); });
    run_once();
    EXPECT_EQ(seen, &loop());
}

TEST_F(EventLoopTest, CurrentOutsideARunningLoopThrows) {
    EXPECT_THROW(shoal::event_loop::current(), event_loop_error);
    EXPECT_EQ(shoal::event_loop::current_or_null(), nullptr);
    run_once();
    EXPECT_THROW(shoal::event_loop::current(), event_loop_error);
}

// ---------------------------------------------------------------- I/O readiness

TEST_F(EventLoopTest, ReaderFiresWhenThePipeIsWritten) {
    test_pipe p;
    int fired = 0;
    loop().add_reader(p.read_end(), [&] {
        ++fired;
        p.read_byte();
    });
    run_once();
    EXPECT_EQ(fired, 0);
    p.write_byte();
    run_once();
    EXPECT_EQ(fired, 1);
    run_once();  // drained: not readable any more
    EXPECT_EQ(fired, 1);
    EXPECT_TRUE(loop().remove_reader(p.read_end()));
}

TEST_F(EventLoopTest, RemoveReaderInsideItsOwnCallbackIsSafe) {
    test_pipe p;
    int fired = 0;
    bool removed = false;
    loop().add_reader(p.read_end(), [&, capture = std::string(64, 'x')] {
        ++fired;
        // The running callback's captures must survive its own removal.
        removed = loop().remove_reader(p.read_end());
        EXPECT_EQ(capture.size(), 64u);
    });
    p.write_byte();
    run_once();
    EXPECT_EQ(fired, 1);
    EXPECT_TRUE(removed);
    run_once();  // still readable (never drained), but no longer watched
    EXPECT_EQ(fired, 1);
    EXPECT_FALSE(loop().remove_reader(p.read_end()));
}

TEST_F(EventLoopTest, ReaderRemovedByEarlierCallbackOfSamePassDoesNotFire) {
    test_pipe a;
    test_pipe b;
    int fired_a = 0;
    int fired_b = 0;
    loop().add_reader(a.read_end(), [&] {
        ++fired_a;
        loop().remove_reader(b.read_end());
    });
    loop().add_reader(b.read_end(), [&] {
        ++fired_b;
        loop().remove_reader(a.read_end());
    });
    a.write_byte();
    b.write_byte();
    run_once();
    EXPECT_EQ(fired_a + fired_b, 1);
    loop().remove_reader(a.read_end());
    loop().remove_reader(b.read_end());
}

TEST_F(EventLoopTest, WriterFiresWhenThePipeIsWritable) {
    test_pipe p;
    int fired = 0;
    loop().add_writer(p.write_end(), [&] {
        ++fired;
        loop().remove_writer(p.write_end());
    });
    run_once();
    EXPECT_EQ(fired, 1);
    run_once();
    EXPECT_EQ(fired, 1);
}

TEST_F(EventLoopTest, ZmqReaderFiresWhenAMessageArrives) {
    zmq::context_t context;
    zmq::socket_t receiver(context, zmq::socket_type::pull);
    zmq::socket_t sender(context, zmq::socket_type::push);
    receiver.bind("inproc://event-loop-test-zmq-reader");
    sender.connect("inproc://event-loop-test-zmq-reader");
    std::vector<std::string> received;
    loop().add_zmq_reader(receiver.handle(), [&] {
        zmq::message_t msg;
        while (receiver.recv(msg, zmq::recv_flags::dontwait)) {
            received.push_back(msg.to_string());
        }
    });
    run_once();
    EXPECT_TRUE(received.empty());
    sender.send(zmq::str_buffer("hello"), zmq::send_flags::none);
    run_once();
    EXPECT_EQ(received, (std::vector<std::string>{"hello"}));
    EXPECT_TRUE(loop().remove_zmq_reader(receiver.handle()));
    sender.send(zmq::str_buffer("unwatched"), zmq::send_flags::none);
    run_once();
    EXPECT_EQ(received.size(), 1u);
}

TEST_F(EventLoopTest, ZmqReaderOnPairSocketEndsRunForeverWhenAMessageArrives) {
    zmq::context_t context;
    zmq::socket_t left(context, zmq::socket_type::pair);
    zmq::socket_t right(context, zmq::socket_type::pair);
    left.bind("inproc://event-loop-test-zmq-pair");
    right.connect("inproc://event-loop-test-zmq-pair");
    std::string received;
    loop().add_zmq_reader(left.handle(), [&] {
        zmq::message_t msg;
        if (left.recv(msg, zmq::recv_flags::dontwait)) {
            received = msg.to_string();
            loop().stop();
        }
    });
    // Nothing else is scheduled: only the reader's stop() can end run_forever.
    loop().call_soon([&] { right.send(zmq::str_buffer("ping"), zmq::send_flags::none); });
    loop().run_forever();
    EXPECT_EQ(received, "ping");
    loop().remove_zmq_reader(left.handle());
}

// ---------------------------------------------------------------- the seed's call_later chain

// The asyncio tutorial's chain: four functions, each scheduling the next one second later
// until the end time is near, then stopping the loop.
TEST_F(EventLoopTest, CallLaterChainRunsFunctionsInOrderThenStops) {
    constexpr double run_for_seconds = 9.0;
    constexpr int max_passes = 100;
    std::vector<std::string> called;
    bool stopped_by_chain = false;
    const double end_time = loop().time() + run_for_seconds;

    struct chain {
        shoal::event_loop& loop;
        std::vector<std::string>& called;
        bool& stopped;
        double end_time;
        void function(int n) {
            called.push_back("function_" + std::to_string(n));
            if (loop.time() + 1.0 < end_time) {
                const int next = n % 4 + 1;
                loop.call_later(1.0, [this, next] { function(next); });
            } else {
                stopped = true;
                loop.stop();
            }
        }
    } c{loop(), called, stopped_by_chain, end_time};

    loop().call_soon([&c] { c.function(1); });
    for (int pass = 0; pass < max_passes && !stopped_by_chain; ++pass) {
        run_once();
        clock().advance(1.0);
    }
    EXPECT_TRUE(stopped_by_chain);
    EXPECT_EQ(called, (std::vector<std::string>{"function_1", "function_2", "function_3",
                                                "function_4", "function_1", "function_2",
                                                "function_3", "function_4", "function_1"}));
    advance(10.0);  // nothing left scheduled
    EXPECT_EQ(called.size(), 9u);
}

}  // namespace
