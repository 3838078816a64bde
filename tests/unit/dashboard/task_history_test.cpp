// The dashboard's task history (dashboard/include/shoal/dashboard/task_history.hpp): states,
// timings and attempts from events in any order, filters, pages, and the bound.
#include "shoal/dashboard/task_history.hpp"

#include <gtest/gtest.h>

#include "dashboard_events.hpp"

namespace {

using namespace shoal::dashboard;
using dashboard_test::id;
using dashboard_test::on_worker;
using dashboard_test::sent;
using dashboard_test::task;

class DashboardTaskHistory : public ::testing::Test {
  protected:
    const task_record& record(std::uint64_t n) const {
        const task_record* r = history.find(*shoal::proto::task_id::from_hex(id(n)));
        if (r == nullptr) throw std::runtime_error("no record for task " + std::to_string(n));
        return *r;
    }
    void finished_task(std::uint64_t n, std::uint64_t& clock, const std::string& name = "add",
                       const std::string& host = "w1") {
        history.apply(sent(n, clock, 100.0, name), clock);
        ++clock;
        history.apply(on_worker(task("task-received", n, clock, 101.0, name), host, 1), clock);
        ++clock;
        history.apply(task("task-succeeded", n, clock, 102.0, name), clock);
        ++clock;
    }

    string_pool strings;
    task_history history{1000, strings};
};

TEST_F(DashboardTaskHistory, ALifecycleSetsTheStateTimingsWorkerAndResult) {
    history.apply(sent(1, 1, 100.0), 1);
    EXPECT_EQ(record(1).state, task_state::sent);
    history.apply(on_worker(task("task-received", 1, 2, 101.0), "w1", 1), 2);
    history.apply(on_worker(task("task-started", 1, 3, 102.0), "w1", 1), 3);
    auto done = task("task-succeeded", 1, 4, 104.5);
    done.result = "5";
    done.runtime = 2.5;
    done.hostname = "w1";
    history.apply(done, 4);
    const task_record& r = record(1);
    EXPECT_EQ(r.state, task_state::succeeded);
    EXPECT_EQ(strings.text(r.name), "add");
    EXPECT_EQ(strings.text(r.queue), "default");
    EXPECT_EQ(strings.text(r.hostname), "w1");
    EXPECT_EQ(r.sent, 100.0);
    EXPECT_EQ(r.received, 101.0);
    EXPECT_EQ(r.started, 102.0);
    EXPECT_EQ(r.finished, 104.5);
    EXPECT_EQ(r.runtime, 2.5);
    EXPECT_EQ(r.args, "[1,2]");
    EXPECT_EQ(r.result, "5");
    EXPECT_EQ(r.attempts, 1u);
    ASSERT_EQ(r.attempt_log.size(), 1u);
    EXPECT_EQ(r.attempt_log[0].outcome, "succeeded");
    EXPECT_EQ(history.count(task_state::succeeded), 1u);
    EXPECT_EQ(history.count(task_state::sent), 0u);
}

TEST_F(DashboardTaskHistory, RetriesKeepEveryAttemptWithItsWorkerAndError) {
    history.apply(sent(1, 1, 100.0), 1);
    history.apply(on_worker(task("task-received", 1, 2, 101.0), "w1", 1), 2);
    history.apply(on_worker(task("task-started", 1, 3, 101.5), "w1", 1), 3);
    auto retried = task("task-retried", 1, 4, 102.0);
    retried.exception = "io_error: not yet";
    retried.exception_type = "io_error";
    retried.hostname = "w1";
    retried.retries = 1;
    history.apply(retried, 4);
    EXPECT_EQ(record(1).state, task_state::retrying);
    history.apply(on_worker(task("task-received", 1, 5, 103.0), "w2", 2), 5);
    history.apply(on_worker(task("task-started", 1, 6, 103.5), "w2", 2), 6);
    auto failed = task("task-failed", 1, 7, 104.0);
    failed.exception = "io_error: still not";
    failed.exception_type = "io_error";
    failed.traceback = "still not";
    failed.hostname = "w2";
    history.apply(failed, 7);
    const task_record& r = record(1);
    EXPECT_EQ(r.state, task_state::failed);
    EXPECT_EQ(r.attempts, 2u);
    EXPECT_EQ(r.retries, 1u);
    EXPECT_EQ(r.exception, "io_error: still not");
    EXPECT_EQ(r.traceback, "still not");
    EXPECT_EQ(strings.text(r.hostname), "w2");
    EXPECT_EQ(r.started, 103.5);  // the latest attempt's
    ASSERT_EQ(r.attempt_log.size(), 2u);
    EXPECT_EQ(r.attempt_log[0].number, 1u);
    EXPECT_EQ(strings.text(r.attempt_log[0].hostname), "w1");
    EXPECT_EQ(r.attempt_log[0].outcome, "retried");
    EXPECT_EQ(r.attempt_log[0].exception, "io_error: not yet");
    EXPECT_EQ(r.attempt_log[1].number, 2u);
    EXPECT_EQ(strings.text(r.attempt_log[1].hostname), "w2");
    EXPECT_EQ(r.attempt_log[1].outcome, "failed");
}

TEST_F(DashboardTaskHistory, AnEventOlderThanTheStateFillsInTimingsButDoesNotMoveTheStateBack) {
    auto done = task("task-succeeded", 1, 5, 105.0);
    done.hostname = "w1";
    history.apply(done, 5);
    history.apply(on_worker(task("task-started", 1, 3, 103.0), "w1", 1), 3);
    history.apply(sent(1, 1, 100.0), 1);
    const task_record& r = record(1);
    EXPECT_EQ(r.state, task_state::succeeded);
    EXPECT_EQ(r.sent, 100.0);
    EXPECT_EQ(r.started, 103.0);
    EXPECT_EQ(r.finished, 105.0);
    EXPECT_EQ(strings.text(r.queue), "default");
    EXPECT_EQ(history.count(task_state::succeeded), 1u);
    EXPECT_EQ(history.count(task_state::sent), 0u);
}

TEST_F(DashboardTaskHistory, ADeadLetterRunAgainMovesOnToItsNewAttempt) {
    history.apply(sent(1, 1, 100.0, "crash"), 1);
    history.apply(on_worker(task("task-received", 1, 2, 101.0, "crash"), "w1", 1), 2);
    history.apply(on_worker(task("task-started", 1, 3, 101.0, "crash"), "w1", 1), 3);
    auto dead = task("task-dead-lettered", 1, 4, 102.0, "crash");
    dead.reason = "killed its worker during each of 1 attempts";
    dead.deaths = 1;
    history.apply(dead, 4);
    EXPECT_EQ(record(1).state, task_state::dead);
    EXPECT_EQ(record(1).reason, dead.reason);
    EXPECT_EQ(history.count(task_state::dead), 1u);
    // REQUEUE: the broker dispatches it again, a new attempt.
    history.apply(on_worker(task("task-received", 1, 5, 110.0, "crash"), "w1", 2), 5);
    EXPECT_EQ(record(1).state, task_state::received);
    EXPECT_EQ(record(1).finished, 0.0) << "the new attempt has not finished";
    history.apply(task("task-succeeded", 1, 6, 111.0, "crash"), 6);
    EXPECT_EQ(record(1).state, task_state::succeeded);
    EXPECT_EQ(record(1).attempts, 2u);
    EXPECT_EQ(history.count(task_state::dead), 0u);
}

TEST_F(DashboardTaskHistory, EventsWithoutAValidIdOrOfAnUnknownTypeAreIgnored) {
    auto bad = sent(1, 1, 100.0);
    bad.uuid = "not-an-id";
    history.apply(bad, 1);
    history.apply(task("task-from-the-future", 2, 2, 100.0), 2);
    history.apply(task("worker-heartbeat", 3, 3, 100.0), 3);
    EXPECT_EQ(history.size(), 0u);
}

TEST_F(DashboardTaskHistory, FiltersByStateNameWorkerAndAPartOfTheId) {
    std::uint64_t clock = 1;
    finished_task(1, clock, "add", "w1");
    finished_task(2, clock, "fib", "w2");
    finished_task(3, clock, "fib", "w1");
    history.apply(sent(4, clock, 100.0, "fib"), clock);
    ++clock;
    task_filter by_name;
    by_name.name = strings.find("fib");
    EXPECT_EQ(history.list(by_name, 0, 10).total, 3u);
    task_filter by_state;
    by_state.states = {task_state::sent};
    const task_page waiting = history.list(by_state, 0, 10);
    ASSERT_EQ(waiting.total, 1u);
    EXPECT_EQ(waiting.tasks.at(0)->id.to_hex(), id(4));
    by_state.states = {task_state::sent, task_state::succeeded};
    EXPECT_EQ(history.list(by_state, 0, 10).total, 4u);
    task_filter by_worker;
    by_worker.worker = strings.find("w1");
    by_worker.name = strings.find("fib");
    const task_page fib_on_w1 = history.list(by_worker, 0, 10);
    ASSERT_EQ(fib_on_w1.total, 1u);
    EXPECT_EQ(fib_on_w1.tasks.at(0)->id.to_hex(), id(3));
    task_filter by_id;
    by_id.id_text = id(2).substr(20);
    const task_page found = history.list(by_id, 0, 10);
    ASSERT_EQ(found.total, 1u);
    EXPECT_EQ(found.tasks.at(0)->id.to_hex(), id(2));
    by_id.id_text = id(2);  // a whole id: a look-up
    EXPECT_EQ(history.list(by_id, 0, 10).total, 1u);
    by_id.id_text = id(99);
    EXPECT_EQ(history.list(by_id, 0, 10).total, 0u);
}

TEST_F(DashboardTaskHistory, PagesAreNewestFirstAndAnOffsetPastTheEndIsAnEmptyPage) {
    std::uint64_t clock = 1;
    for (std::uint64_t n = 1; n <= 25; ++n) finished_task(n, clock);
    const task_page first = history.list({}, 0, 10);
    EXPECT_EQ(first.total, 25u);
    ASSERT_EQ(first.tasks.size(), 10u);
    EXPECT_EQ(first.tasks.front()->id.to_hex(), id(25));
    const task_page last = history.list({}, 20, 10);
    ASSERT_EQ(last.tasks.size(), 5u);
    EXPECT_EQ(last.tasks.back()->id.to_hex(), id(1));
    const task_page beyond = history.list({}, 30, 10);
    EXPECT_EQ(beyond.total, 25u);
    EXPECT_TRUE(beyond.tasks.empty());
    EXPECT_TRUE(history.list({}, 0, 0).tasks.empty());
}

TEST(DashboardTaskHistoryBound, AHundredThousandTasksKeepTheBoundAndTheOldestFinishedGoFirst) {
    constexpr std::size_t bound = 100'000;
    string_pool strings;
    task_history history(bound, strings);
    std::uint64_t clock = 1;
    // Ten tasks that never finish, first: older than everything, yet kept.
    for (std::uint64_t n = 1; n <= 10; ++n) {
        history.apply(sent(n, clock, 50.0, "slow"), clock);
        ++clock;
    }
    constexpr std::uint64_t finished = bound + 5'000;
    for (std::uint64_t n = 11; n < 11 + finished; ++n) {
        const std::string name = n % 2 ? "odd" : "even";
        history.apply(sent(n, clock, 100.0, name), clock);
        ++clock;
        history.apply(on_worker(task("task-received", n, clock, 101.0, name), "w1", 1), clock);
        ++clock;
        history.apply(task("task-succeeded", n, clock, 102.0, name), clock);
        ++clock;
        ASSERT_LE(history.size(), bound);
    }
    EXPECT_EQ(history.size(), bound);
    EXPECT_EQ(history.evicted(), 10 + finished - bound);
    // The unfinished survive; the oldest finished went.
    task_filter slow;
    slow.states = {task_state::sent};
    EXPECT_EQ(history.list(slow, 0, 100).total, 10u);
    EXPECT_EQ(history.find(*shoal::proto::task_id::from_hex(id(11))), nullptr);
    EXPECT_NE(history.find(*shoal::proto::task_id::from_hex(id(10 + finished))), nullptr);
    EXPECT_EQ(history.count(task_state::succeeded) + history.count(task_state::sent), bound);
    // Pages still answer, anywhere in the history, and a filter still counts everything.
    const task_page newest = history.list({}, 0, 50);
    EXPECT_EQ(newest.total, bound);
    ASSERT_EQ(newest.tasks.size(), 50u);
    EXPECT_EQ(newest.tasks.front()->id.to_hex(), id(10 + finished));
    const task_page oldest = history.list({}, bound - 20, 50);
    ASSERT_EQ(oldest.tasks.size(), 20u);
    EXPECT_EQ(oldest.tasks.back()->id.to_hex(), id(1));
    task_filter odd;
    odd.name = strings.find("odd");
    const task_page odd_page = history.list(odd, 1000, 50);
    EXPECT_EQ(odd_page.tasks.size(), 50u);
    EXPECT_GT(odd_page.total, bound / 2 - 100);
}

TEST(DashboardTaskHistoryBound, WhenNothingIsFinishedTheOldestTaskGoes) {
    string_pool strings;
    task_history history(3, strings);
    for (std::uint64_t n = 1; n <= 5; ++n) history.apply(sent(n, n, 100.0), n);
    EXPECT_EQ(history.size(), 3u);
    EXPECT_EQ(history.find(*shoal::proto::task_id::from_hex(id(2))), nullptr);
    EXPECT_NE(history.find(*shoal::proto::task_id::from_hex(id(3))), nullptr);
    EXPECT_EQ(history.count(task_state::sent), 3u);
}

}  // namespace
