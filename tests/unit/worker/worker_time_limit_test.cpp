// Soft and hard time limits, CANCEL with terminate and self-retry for loop and thread-pool
// tasks (the process pool's in worker_process_limits_test.cpp: forking is not for TSan).
//   loop:   at the soft limit the coroutine gets a cancelled_error it can tell from a revoke
//           (is_soft_time_limit), catch and recover from; escaping, the task fails with
//           shoal::soft_time_limit_exceeded; a hard limit still applies afterwards.
//   thread: this_task::stop_requested() turns true at the soft limit (and at the hard limit,
//           and on a revoke with terminate); what the task then does is its outcome.
//   both:   shoal::retry_task -> failed, "shoal::retry", the reason, retry_countdown_ms.
// Not a _concurrent test, like the other worker tests: the fake broker's and the worker's
// ZeroMQ traffic trips TSan inside the uninstrumented libzmq (it passes clean with libzmq
// suppressed). The cross-thread stop-token path is covered under TSan by
// tests/unit/common/this_task_concurrent_test.cpp.
#include <chrono>
#include <string>
#include <thread>

#include "fake_broker.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/worker/time_limits.hpp"
#include "task_gate.hpp"

namespace {

using namespace shoal::testing;
using shoal::proto::task_status;
using steady = std::chrono::steady_clock;
namespace run_on = shoal::run_on;

// Sleeps `s` seconds; on cancellation returns 1 if it was the soft limit, 2 otherwise, when
// `recover`; else lets it escape.
constexpr shoal::task_def<double(double, bool)> nap{"nap"};
// Catches the soft limit, then naps again for `s` (so a hard limit can strike).
constexpr shoal::task_def<double(double)> stubborn{"stubborn"};
// Polls this_task::stop_requested() for up to `s` seconds; mode 0: throws
// soft_time_limit_exceeded when asked to stop, 1: returns the seconds it ran, 2: ignores it.
// Returns -1 if never asked.
constexpr shoal::task_def<double(double, int)> polite{"polite"};
// Throws retry_task(countdown_ms if >= 0, reason).
constexpr shoal::task_def<int(long, std::string)> again_on_loop{"again_on_loop"};
constexpr shoal::task_def<int(long, std::string)> again_on_thread{"again_on_thread"};
// Runs on a thread until the test opens the gate, deaf to its stop token.
constexpr shoal::task_def<bool()> gated_thread{"gated_thread"};

task_gate gate;

// Opened by polite as it begins on its thread: the worker says STARTED once it handed the
// task to the pool, and a CANCEL read before a thread took it would find it still queued.
task_gate polite_began;

double polite_impl(double s, int mode) {
    polite_began.open();
    const auto start = steady::now();
    const auto until = start + std::chrono::duration<double>(s);
    while (steady::now() < until) {
        if (mode != 2 && shoal::this_task::stop_requested()) {
            if (mode == 0) throw shoal::soft_time_limit_exceeded("stopped when asked");
            return std::chrono::duration<double>(steady::now() - start).count();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1.0;
}

int ask_again(long ms, std::string reason) {
    if (ms < 0) throw shoal::retry_task(std::move(reason));
    throw shoal::retry_task(std::chrono::milliseconds(ms), std::move(reason));
}

void define_tasks(shoal::task_registry& r) {
    r.define(
        nap,
        [](double s, bool recover) -> shoal::task<double> {
            try {
                co_await shoal::sleep(s);
            } catch (const shoal::cancelled_error& e) {
                if (!recover) throw;
                co_return shoal::is_soft_time_limit(e) ? 1.0 : 2.0;
            }
            co_return 0.0;
        },
        run_on::loop);
    r.define(
        stubborn,
        [](double s) -> shoal::task<double> {
            try {
                co_await shoal::sleep(s);
            } catch (const shoal::cancelled_error& e) {
                if (!shoal::is_soft_time_limit(e)) throw;
            }
            co_await shoal::sleep(s);  // the hard limit cancels this one
            co_return 0.0;
        },
        run_on::loop);
    r.define(polite, polite_impl, run_on::thread_pool);
    r.define(
        again_on_loop,
        [](long ms, std::string reason) -> shoal::task<int> {
            co_await shoal::sleep(0.0);
            co_return ask_again(ms, std::move(reason));
        },
        run_on::loop);
    r.define(again_on_thread, ask_again, run_on::thread_pool);
    r.define(
        gated_thread, [] { return gate.wait(); }, run_on::thread_pool);
}

double seconds_since(steady::time_point t) {
    return std::chrono::duration<double>(steady::now() - t).count();
}

shoal::proto::dispatched_task with_limits(shoal::proto::dispatched_task t,
                                          std::optional<std::uint64_t> soft_ms,
                                          std::optional<std::uint64_t> hard_ms = {}) {
    t.options.soft_time_limit_ms = soft_ms;
    t.options.time_limit_ms = hard_ms;
    return t;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class WorkerTimeLimitTest : public ::testing::Test {
  protected:
    void SetUp() override {
        gate.close();
        polite_began.close();
    }
    // Before the worker goes: a gated thread would hold up its destruction.
    void TearDown() override { gate.open(); }

    void start(std::uint32_t slots, std::uint32_t prefetch) {
        worker_ =
            std::make_unique<worker_thread>(test_options(broker_, slots, prefetch), define_tasks);
        ASSERT_TRUE(broker_.handshake());
        auto ready = broker_.expect<shoal::proto::ready>();
        ASSERT_TRUE(ready);
    }
    // The only outcome of the next DONE.
    std::optional<shoal::proto::finished_task> one_result(double seconds = reply_deadline_s) {
        auto done = broker_.expect<shoal::proto::done>(seconds);
        if (!done) return std::nullopt;
        EXPECT_EQ(done->finished.size(), 1u);
        if (done->finished.empty()) return std::nullopt;
        return done->finished[0];
    }

    fake_broker broker_;
    std::unique_ptr<worker_thread> worker_;
};

TEST_F(WorkerTimeLimitTest, ALoopTaskPastItsSoftLimitFailsWithTheSoftType) {
    start(1, 0);
    const auto sent = steady::now();
    broker_.send(dispatch_of({with_limits(make_task("nap", 10.0, false), 100)}));
    auto f = one_result();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->result.status, task_status::failed);
    EXPECT_EQ(f->result.error.type, "shoal::soft_time_limit_exceeded");
    EXPECT_TRUE(contains(f->result.error.message, "soft time limit of 100 ms"))
        << f->result.error.message;
    EXPECT_LT(seconds_since(sent), 5.0);
}

TEST_F(WorkerTimeLimitTest, ALoopTaskCanCatchItsSoftLimitAndReturn) {
    start(1, 0);
    broker_.send(dispatch_of({with_limits(make_task("nap", 10.0, true), 100)}));
    auto f = one_result();
    ASSERT_TRUE(f);
    ASSERT_EQ(f->result.status, task_status::ok);
    EXPECT_EQ(result_of<double>(*f), 1.0);  // it knew it was the soft limit
}

TEST_F(WorkerTimeLimitTest, ALoopTaskTellsARevokeFromItsSoftLimit) {
    start(1, 0);
    // A soft limit no busy machine reaches before the CANCEL, sent once the task runs (one
    // not yet started would be dropped, not cancelled).
    auto t = with_limits(make_task("nap", 120.0, true), 60'000);
    broker_.send(dispatch_of({t}));
    ASSERT_TRUE(broker_.wait_started(t.id));
    broker_.send(shoal::proto::cancel{{t.id}, false});
    auto f = one_result();
    ASSERT_TRUE(f);
    ASSERT_EQ(f->result.status, task_status::ok);
    EXPECT_EQ(result_of<double>(*f), 2.0);  // caught, and not the soft limit
}

TEST_F(WorkerTimeLimitTest, TheHardLimitStillAppliesAfterTheSoftOne) {
    start(1, 0);
    const auto sent = steady::now();
    broker_.send(dispatch_of({with_limits(make_task("stubborn", 10.0), 100, 400)}));
    auto f = one_result();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->result.status, task_status::failed);
    EXPECT_EQ(f->result.error.type, "shoal::time_limit_exceeded");
    EXPECT_EQ(f->result.error.message, "the task ran past its time limit of 400 ms");
    EXPECT_GE(seconds_since(sent), 0.35);
    EXPECT_LT(seconds_since(sent), 5.0);
}

TEST_F(WorkerTimeLimitTest, AThreadTaskSeesItsSoftLimitAndMayThrow) {
    start(1, 0);
    broker_.send(dispatch_of({with_limits(make_task("polite", 10.0, 0), 100)}));
    auto f = one_result();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->result.status, task_status::failed);
    EXPECT_EQ(f->result.error.type, "shoal::soft_time_limit_exceeded");
    EXPECT_EQ(f->result.error.message, "stopped when asked");
    EXPECT_EQ(f->result.error.where, "test-worker");
}

TEST_F(WorkerTimeLimitTest, AThreadTaskThatReturnsAfterItsSoftLimitSucceeds) {
    start(1, 0);
    const auto sent = steady::now();
    broker_.send(dispatch_of({with_limits(make_task("polite", 10.0, 1), 100)}));
    auto f = one_result();
    ASSERT_TRUE(f);
    ASSERT_EQ(f->result.status, task_status::ok);
    const double ran = result_of<double>(*f);
    EXPECT_GE(ran, 0.0);  // it was asked (-1: never)
    EXPECT_LT(ran, 5.0);
    // At the limit, not before: it returns when asked, so its result cannot come sooner.
    // (Timed here, not by the task: the limit counts from when the worker started it, and a
    // busy machine may hand it to a thread well after that.)
    EXPECT_GE(seconds_since(sent), 0.1);
}

TEST_F(WorkerTimeLimitTest, AThreadTaskWithoutLimitsIsNeverAsked) {
    start(1, 0);
    broker_.send(dispatch_of({make_task("polite", 0.1, 1)}));
    auto f = one_result();
    ASSERT_TRUE(f);
    ASSERT_EQ(f->result.status, task_status::ok);
    EXPECT_EQ(result_of<double>(*f), -1.0);
}

// The hard limit fails the task at once and keeps its slot until the thread returns: a task
// held behind it starts only then. The thread's stop token is requested too, so a polling
// task gives the slot back early; one that ignores it keeps it to the end.
TEST_F(WorkerTimeLimitTest, AThreadTaskPastItsHardLimitKeepsItsSlotUntilItReturns) {
    start(1, 1);
    // Its thread returns when the test opens the gate: the limit strikes while it runs, and
    // the task behind it may start only once it returned.
    auto stuck = with_limits(make_task("gated_thread"), {}, 100);
    auto next = make_task("polite", 0.0, 1);
    broker_.send(dispatch_of({stuck, next}));
    auto first = one_result();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->result.id, stuck.id);
    EXPECT_EQ(first->result.status, task_status::failed);
    EXPECT_EQ(first->result.error.type, "shoal::time_limit_exceeded");
    EXPECT_EQ(first->result.error.message, "the task ran past its time limit of 100 ms");
    EXPECT_FALSE(broker_.wait_started(next.id, 0.2))
        << "it did not wait for the stuck thread's slot";
    gate.open();
    auto second = collect(broker_, 1);
    ASSERT_EQ(second.by_id.count(next.id), 1u);
    EXPECT_EQ(second.by_id[next.id].result.status, task_status::ok);
}

TEST_F(WorkerTimeLimitTest, AThreadTaskPastItsHardLimitIsAskedToStop) {
    start(1, 1);
    const auto sent = steady::now();
    auto polling = with_limits(make_task("polite", 30.0, 1), {}, 100);
    auto next = make_task("polite", 0.0, 1);
    broker_.send(dispatch_of({polling, next}));
    auto got = collect(broker_, 2, 10.0);
    ASSERT_EQ(got.by_id.size(), 2u);
    EXPECT_EQ(got.by_id[polling.id].result.error.type, "shoal::time_limit_exceeded");
    EXPECT_EQ(got.by_id[next.id].result.status, task_status::ok);
    EXPECT_LT(seconds_since(sent), 10.0);  // not the 30 s it would have run
}

TEST_F(WorkerTimeLimitTest, RevokeWithTerminateAsksARunningThreadTaskToStop) {
    start(1, 0);
    auto t = make_task("polite", 30.0, 0);
    broker_.send(dispatch_of({t}));
    // Running on its thread: a task not started would merely be dropped.
    ASSERT_TRUE(polite_began.wait(reply_deadline_s));
    const auto sent = steady::now();
    broker_.send(shoal::proto::cancel{{t.id}, true});
    auto f = one_result(10.0);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->result.status, task_status::revoked);
    EXPECT_EQ(f->result.error.type, "shoal::revoked");
    EXPECT_LT(seconds_since(sent), 5.0);
}

TEST_F(WorkerTimeLimitTest, RevokeWithoutTerminateLetsARunningThreadTaskFinish) {
    start(1, 0);
    auto t = make_task("polite", 0.4, 0);
    broker_.send(dispatch_of({t}));
    // Running on its thread: a task not started would be dropped.
    ASSERT_TRUE(polite_began.wait(reply_deadline_s));
    broker_.send(shoal::proto::cancel{{t.id}, false});
    auto f = one_result(10.0);
    ASSERT_TRUE(f);
    ASSERT_EQ(f->result.status, task_status::ok);
    EXPECT_EQ(result_of<double>(*f), -1.0);  // never asked to stop
}

TEST_F(WorkerTimeLimitTest, RetryTaskIsReportedWithItsReasonAndCountdown) {
    start(2, 0);
    auto loop_with = make_task("again_on_loop", 2500L, std::string("busy upstream"));
    auto loop_without = make_task("again_on_loop", -1L, std::string("just again"));
    auto thread_with = make_task("again_on_thread", 0L, std::string("at once"));
    auto thread_without = make_task("again_on_thread", -1L, std::string("whenever"));
    broker_.send(dispatch_of({loop_with, loop_without}));
    broker_.send(dispatch_of({thread_with, thread_without}));
    auto got = collect(broker_, 4, 10.0);
    ASSERT_EQ(got.by_id.size(), 4u);
    const auto check = [&](const shoal::proto::dispatched_task& t, const std::string& reason,
                           std::optional<std::uint64_t> countdown) {
        const auto& f = got.by_id[t.id];
        EXPECT_EQ(f.result.status, task_status::failed) << t.name;
        EXPECT_EQ(f.result.error.type, "shoal::retry") << t.name;
        EXPECT_EQ(f.result.error.message, reason) << t.name;
        EXPECT_EQ(f.retry_countdown_ms, countdown) << t.name;
    };
    check(loop_with, "busy upstream", 2500);
    check(loop_without, "just again", std::nullopt);
    check(thread_with, "at once", 0);
    check(thread_without, "whenever", std::nullopt);
}

TEST_F(WorkerTimeLimitTest, OtherFailuresCarryNoCountdown) {
    start(1, 0);
    broker_.send(dispatch_of({with_limits(make_task("polite", 10.0, 0), 50)}));
    auto f = one_result();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->result.status, task_status::failed);
    EXPECT_FALSE(f->retry_countdown_ms.has_value());
}

}  // namespace
