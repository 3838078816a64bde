// Process-pool tasks under time limits, CANCEL with terminate and self-retry:
//   soft limit: the child sees this_task::stop_requested() and may throw
//               soft_time_limit_exceeded (reported with that type) or return;
//   hard limit: the child is killed and replaced, the message names the limit, and the next
//               task runs on the replacement without waiting for the killed one;
//   terminate:  the running task's child is killed and replaced, the task reported revoked;
//               without terminate the task finishes;
//   retry_task: the countdown survives the trip from the child.
// Not a _concurrent test: forking under TSan is unsupported (the loop and thread-pool cases
// are in worker_time_limit_test.cpp).
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "fake_broker.hpp"
#include "shoal/common/this_task.hpp"

namespace {

using namespace shoal::testing;
using shoal::proto::task_status;
using steady = std::chrono::steady_clock;
namespace run_on = shoal::run_on;

// Polls this_task::stop_requested() for up to `s` seconds; mode 0: throws
// soft_time_limit_exceeded when asked, 1: returns the seconds it ran, 2: ignores it (sleeps).
// Returns -1 if never asked.
constexpr shoal::task_def<double(double, int)> polite_child{"polite_child"};
constexpr shoal::task_def<int()> child_pid{"child_pid"};
constexpr shoal::task_def<int(long, std::string)> again_in_child{"again_in_child"};

double polite_impl(double s, int mode) {
    const auto start = steady::now();
    const auto until = start + std::chrono::duration<double>(s);
    while (steady::now() < until) {
        if (mode != 2 && shoal::this_task::stop_requested()) {
            if (mode == 0) throw shoal::soft_time_limit_exceeded("the child stopped when asked");
            return std::chrono::duration<double>(steady::now() - start).count();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1.0;
}

void define_tasks(shoal::task_registry& r) {
    r.define(polite_child, polite_impl, run_on::process_pool);
    r.define(
        child_pid, [] { return static_cast<int>(::getpid()); }, run_on::process_pool);
    r.define(
        again_in_child,
        [](long ms, std::string reason) -> int {
            if (ms < 0) throw shoal::retry_task(std::move(reason));
            throw shoal::retry_task(std::chrono::milliseconds(ms), std::move(reason));
        },
        run_on::process_pool);
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

class WorkerProcessLimitsTest : public ::testing::Test {
  protected:
    // One process-pool child, so a replaced child is the only one.
    void start(std::uint32_t slots, std::uint32_t prefetch) {
        worker_ =
            std::make_unique<worker_thread>(test_options(broker_, slots, prefetch), define_tasks);
        ASSERT_TRUE(broker_.handshake());
        auto ready = broker_.expect<shoal::proto::ready>();
        ASSERT_TRUE(ready);
    }
    std::optional<shoal::proto::finished_task> one_result(double seconds = 10.0) {
        auto done = broker_.expect<shoal::proto::done>(seconds);
        if (!done) return std::nullopt;
        EXPECT_EQ(done->finished.size(), 1u);
        if (done->finished.empty()) return std::nullopt;
        return done->finished[0];
    }
    std::optional<int> pid_of_child() {
        broker_.send(dispatch_of({make_task("child_pid")}));
        auto f = one_result();
        if (!f || f->result.status != task_status::ok) {
            ADD_FAILURE() << "child_pid did not run";
            return std::nullopt;
        }
        return result_of<int>(*f);
    }

    fake_broker broker_;
    std::unique_ptr<worker_thread> worker_;
};

TEST_F(WorkerProcessLimitsTest, AProcessTaskSeesItsSoftLimitAndMayThrow) {
    start(1, 0);
    broker_.send(dispatch_of({with_limits(make_task("polite_child", 10.0, 0), 150)}));
    auto f = one_result();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->result.status, task_status::failed);
    EXPECT_EQ(f->result.error.type, "shoal::soft_time_limit_exceeded");
    EXPECT_EQ(f->result.error.message, "the child stopped when asked");
}

TEST_F(WorkerProcessLimitsTest, AProcessTaskThatReturnsAfterItsSoftLimitSucceedsOnTheSameChild) {
    start(1, 0);
    const auto before = pid_of_child();
    ASSERT_TRUE(before);
    const auto sent = steady::now();
    broker_.send(dispatch_of({with_limits(make_task("polite_child", 10.0, 1), 150)}));
    auto f = one_result();
    ASSERT_TRUE(f);
    ASSERT_EQ(f->result.status, task_status::ok);
    EXPECT_GE(result_of<double>(*f), 0.0);  // it was asked (-1: never)
    // At the limit, not before: it returns when asked, so its result cannot come sooner.
    // (Timed here, not by the child: a busy machine may wake it well after the pool started
    // the limit's clock.)
    EXPECT_GE(seconds_since(sent), 0.15);
    EXPECT_EQ(pid_of_child(), before);  // a soft limit kills nothing
    // The request does not carry over to the next call.
    broker_.send(dispatch_of({make_task("polite_child", 0.05, 1)}));
    auto next = one_result();
    ASSERT_TRUE(next);
    ASSERT_EQ(next->result.status, task_status::ok);
    EXPECT_EQ(result_of<double>(*next), -1.0);
}

TEST_F(WorkerProcessLimitsTest, AHardLimitKillsTheChildAndTheNextTaskRunsOnItsReplacement) {
    start(1, 1);
    const auto before = pid_of_child();
    ASSERT_TRUE(before);
    const auto sent = steady::now();
    auto stuck = with_limits(make_task("polite_child", 30.0, 2), 100, 300);
    auto next = make_task("child_pid");
    broker_.send(dispatch_of({stuck, next}));
    auto got = collect(broker_, 2, 10.0);
    ASSERT_EQ(got.by_id.size(), 2u);
    const auto& killed = got.by_id[stuck.id].result;
    EXPECT_EQ(killed.status, task_status::failed);
    EXPECT_EQ(killed.error.type, "shoal::time_limit_exceeded");
    EXPECT_EQ(killed.error.message, "the task ran past its time limit of 300 ms");
    ASSERT_EQ(got.by_id[next.id].result.status, task_status::ok);
    EXPECT_NE(result_of<int>(got.by_id[next.id]), *before);  // a new child
    EXPECT_LT(seconds_since(sent), 5.0);                     // not after the 30 s task
}

TEST_F(WorkerProcessLimitsTest, RevokeWithTerminateKillsTheChildAndReportsRevoked) {
    start(1, 0);
    const auto before = pid_of_child();
    ASSERT_TRUE(before);
    auto t = make_task("polite_child", 30.0, 2);
    broker_.send(dispatch_of({t}));
    // Running in the child (idle since pid_of_child, so the task went straight to it): a
    // task not started is merely dropped, and kills nothing.
    ASSERT_TRUE(broker_.wait_started(t.id));
    const auto sent = steady::now();
    broker_.send(shoal::proto::cancel{{t.id}, true});
    auto done = broker_.expect<shoal::proto::done>(10.0);
    ASSERT_TRUE(done);
    ASSERT_EQ(done->finished.size(), 1u);
    EXPECT_EQ(done->finished[0].result.id, t.id);
    EXPECT_EQ(done->finished[0].result.status, task_status::revoked);
    EXPECT_EQ(done->finished[0].result.error.type, "shoal::revoked");
    EXPECT_EQ(done->credit, 1u);  // its slot is free again
    EXPECT_LT(seconds_since(sent), 5.0);
    const auto after = pid_of_child();
    ASSERT_TRUE(after);
    EXPECT_NE(*after, *before);  // killed and replaced; the replacement runs tasks
}

TEST_F(WorkerProcessLimitsTest, RevokeWithoutTerminateLetsAProcessTaskFinish) {
    start(1, 0);
    // The child is up and idle, so the task goes straight to it: once STARTED, it runs in
    // the child (one still queued in the pool, or not started, would be dropped).
    ASSERT_TRUE(pid_of_child());
    auto t = make_task("polite_child", 0.4, 2);
    broker_.send(dispatch_of({t}));
    ASSERT_TRUE(broker_.wait_started(t.id));
    broker_.send(shoal::proto::cancel{{t.id}, false});
    auto f = one_result();
    ASSERT_TRUE(f);
    ASSERT_EQ(f->result.status, task_status::ok);
    EXPECT_EQ(result_of<double>(*f), -1.0);
}

TEST_F(WorkerProcessLimitsTest, RetryTaskInAChildKeepsItsCountdown) {
    start(1, 0);
    auto with = make_task("again_in_child", 1234L, std::string("disk busy"));
    broker_.send(dispatch_of({with}));
    auto f = one_result();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->result.status, task_status::failed);
    EXPECT_EQ(f->result.error.type, "shoal::retry");
    EXPECT_EQ(f->result.error.message, "disk busy");
    EXPECT_EQ(f->retry_countdown_ms, std::optional<std::uint64_t>(1234));
    broker_.send(dispatch_of({make_task("again_in_child", -1L, std::string("again"))}));
    auto g = one_result();
    ASSERT_TRUE(g);
    EXPECT_EQ(g->result.error.type, "shoal::retry");
    EXPECT_EQ(g->result.error.message, "again");
    EXPECT_FALSE(g->retry_countdown_ms.has_value());
}

}  // namespace
