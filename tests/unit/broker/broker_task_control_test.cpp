// Task control at the broker, against an in-process broker and raw peers: countdown and
// eta held by the broker (no worker credit taken), expiry, priorities, retries (policy,
// retry_on, a task asking for its own retry), the delivery limit with its dead letters and
// REQUEUE, revoke with terminate, and rate limits per task name.
//
// The broker runs on a manual clock: a held task comes due, a back-off ends, a rate limit
// lets the next task go and a silent worker dies when the test moves time, to the
// millisecond, and never because the machine was slow.

#include <chrono>

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "broker_time.hpp"
#include "manual_clock.hpp"
#include "process/wait_until.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

std::uint64_t epoch_ms_in(double seconds) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    return static_cast<std::uint64_t>(now.count() + static_cast<std::int64_t>(seconds * 1000));
}

proto::done failed(const proto::dispatched_task& t, std::string type, std::uint32_t credit,
                   std::optional<std::uint64_t> retry_countdown_ms = std::nullopt) {
    proto::done d;
    d.finished.push_back(
        {proto::outcome{t.id, proto::task_status::failed, "", {std::move(type), "it broke", "w"}},
         t.attempt, retry_countdown_ms});
    d.credit = credit;
    return d;
}

std::int64_t stat(test_peer& client, const char* key) {
    return int_field(client.inspect("stats").rows.at(0), key);
}

// Waits until the broker's stat reaches `value`: a worker's message read (it cannot be asked
// whether it was), before the test moves the clock.
bool stat_reaches(test_peer& client, const char* key, std::int64_t value) {
    return shoal::testing::wait_until([&] { return stat(client, key) >= value; }, reply_deadline_s);
}

class TaskControl : public ::testing::Test {
  protected:
    explicit TaskControl(broker_config config = fast_config())
        : broker(std::move(config), &clock) {}
    void SetUp() override { client.hello_client(); }
    void advance(double seconds) { shoal::broker::testing::advance(broker, clock, seconds); }

    shoal::testing::manual_clock clock;
    embedded_broker broker;
    zmq::context_t ctx;
    test_peer client{ctx, broker.endpoint()};
};

TEST_F(TaskControl, ACountdownIsHeldByTheBrokerWithoutTakingCredit) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1, 0);
    worker.send(proto::ready{1});
    auto later = task(1);
    later.options.countdown_ms = 400;
    ASSERT_EQ(client.submit({later, task(2)}).ids.size(), 2u);
    // The worker's one slot serves task 2 at once: the held task took no credit.
    const auto first = worker.expect<proto::dispatch>();
    ASSERT_EQ(first.tasks.size(), 1u);
    EXPECT_EQ(first.tasks[0].id, id_of(2));
    EXPECT_EQ(stat(client, "held"), 1);
    worker.done_ok(first.tasks, 1);
    EXPECT_EQ(client.results(1).at(0).id, id_of(2));
    advance(0.39);
    EXPECT_EQ(stat(client, "held"), 1) << "released before its countdown";
    advance(0.02);
    const auto second = worker.expect<proto::dispatch>();
    ASSERT_EQ(second.tasks.size(), 1u);
    EXPECT_EQ(second.tasks[0].id, id_of(1));
    EXPECT_EQ(stat(client, "held"), 0);
}

TEST_F(TaskControl, AnEtaInThePastRunsAtOnceAndOneInTheFutureWaits) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 2, 0);
    worker.send(proto::ready{2});
    auto past = task(1);
    past.options.eta_ms = epoch_ms_in(-5);
    // An eta is wall-clock time: the broker turns it into its clock's time when the task
    // comes in, so the margins below cover the real time until then.
    auto future = task(2);
    future.options.eta_ms = epoch_ms_in(10);
    client.submit({past, future});
    const auto first = worker.expect<proto::dispatch>();
    ASSERT_EQ(first.tasks.size(), 1u);
    EXPECT_EQ(first.tasks[0].id, id_of(1));
    advance(5);
    EXPECT_EQ(stat(client, "held"), 1) << "released before its eta";
    advance(6);
    const auto second = worker.expect<proto::dispatch>();
    ASSERT_EQ(second.tasks.size(), 1u);
    EXPECT_EQ(second.tasks[0].id, id_of(2));
}

TEST_F(TaskControl, ATaskPastItsExpiryNeverRunsAndItsFutureSaysExpired) {
    auto soon = task(1);
    soon.options.expires_ms = epoch_ms_in(0.2);
    auto gone = task(2);
    gone.options.expires_ms = epoch_ms_in(-1);
    ASSERT_EQ(client.submit({soon, gone}).ids.size(), 2u);  // accepted, then expired
    advance(0.3);
    const auto r = client.results(2);
    ASSERT_EQ(r.size(), 2u);
    for (const auto& o : r) {
        EXPECT_EQ(o.status, proto::task_status::expired);
        EXPECT_EQ(o.error.where, "broker");
    }
    // A worker arriving afterwards gets nothing.
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1, 0);
    worker.send(proto::ready{1});
    EXPECT_TRUE(worker.quiet_for(0.3));
    EXPECT_EQ(client.fetch({id_of(1)}).entries.at(0).result->status, proto::task_status::expired);
    EXPECT_EQ(stat(client, "expired_tasks"), 2);
}

TEST_F(TaskControl, PrioritiesAreServedHighestFirstFIFOWithin) {
    std::vector<proto::submitted_task> tasks;
    const std::uint32_t priorities[] = {0, 9, 5, 9, 0, 5};
    for (std::uint32_t i = 0; i < 6; ++i) {
        auto t = task(i + 1);
        t.options.priority = priorities[i];
        tasks.push_back(t);
    }
    client.submit(tasks);
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 6, 0);
    worker.send(proto::ready{6});
    const auto d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 6u);
    const std::uint32_t expected[] = {2, 4, 3, 6, 1, 5};
    for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(d.tasks[i].id, id_of(expected[i])) << i;
}

TEST_F(TaskControl, AFailedTaskIsRetriedByItsPolicyThenItsLastErrorIsTold) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1, 0);
    worker.send(proto::ready{1});
    auto flaky = task(1);
    flaky.options.max_retries = 2;
    flaky.options.retry_delay_ms = 100;
    flaky.options.retry_backoff = true;
    flaky.options.retry_jitter = false;
    client.submit({flaky});
    auto d = worker.expect<proto::dispatch>();
    for (std::uint32_t attempt = 1; attempt <= 3; ++attempt) {
        ASSERT_EQ(d.tasks.size(), 1u);
        EXPECT_EQ(d.tasks[0].attempt, attempt);
        worker.send(failed(d.tasks[0], "std::runtime_error", 1));
        if (attempt < 3) {
            // Back-off: 100 ms, then 200 ms, from when the failure was read.
            ASSERT_TRUE(stat_reaches(client, "retried", attempt));
            const double back_off = attempt == 1 ? 0.1 : 0.2;
            advance(back_off - 0.01);
            EXPECT_EQ(stat(client, "held"), 1) << "retry " << attempt << " before its back-off";
            advance(0.02);
            d = worker.expect<proto::dispatch>();
        }
    }
    const auto r = client.results(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, proto::task_status::failed);
    EXPECT_EQ(r[0].error.type, "std::runtime_error");
    EXPECT_EQ(stat(client, "retried"), 2);
    EXPECT_TRUE(worker.quiet_for(0.3));  // no fourth run
}

TEST_F(TaskControl, OnlyListedErrorTypesAreRetried) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1, 0);
    worker.send(proto::ready{1});
    auto picky = task(1);
    picky.options.max_retries = 5;
    picky.options.retry_delay_ms = 0;
    picky.options.retry_on = {"io_error"};
    client.submit({picky});
    auto d = worker.expect<proto::dispatch>();
    worker.send(failed(d.tasks.at(0), "io_error", 1));
    d = worker.expect<proto::dispatch>();
    EXPECT_EQ(d.tasks.at(0).attempt, 2u);
    worker.send(failed(d.tasks.at(0), "std::logic_error", 1));
    const auto r = client.results(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].error.type, "std::logic_error");
}

TEST_F(TaskControl, ATaskAsksForItsOwnRetryWithinTheDefaultThree) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1, 0);
    worker.send(proto::ready{1});
    client.submit({task(1)});
    auto d = worker.expect<proto::dispatch>();
    for (int retry = 1; retry <= 3; ++retry) {
        worker.send(failed(d.tasks.at(0), "shoal::retry", 1, 150));
        ASSERT_TRUE(stat_reaches(client, "retried", retry));
        advance(0.14);
        EXPECT_EQ(stat(client, "held"), 1) << "retry " << retry << " before its own countdown";
        advance(0.02);
        d = worker.expect<proto::dispatch>();
    }
    worker.send(failed(d.tasks.at(0), "shoal::retry", 1, 0));
    const auto r = client.results(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, proto::task_status::failed);
    EXPECT_EQ(r[0].error.type, "shoal::max_retries_exceeded");
}

TEST_F(TaskControl, AnExceptionWithoutARetryPolicyIsAnOrdinaryOutcome) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1, 0);
    worker.send(proto::ready{1});
    client.submit({task(1)});
    const auto d = worker.expect<proto::dispatch>();
    worker.send(failed(d.tasks.at(0), "std::runtime_error", 1));
    const auto r = client.results(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, proto::task_status::failed);
    EXPECT_EQ(stat(client, "retried"), 0);
    EXPECT_EQ(stat(client, "dead_lettered"), 0);
}

TEST_F(TaskControl, RevokeWithTerminateTellsTheWorkerToKill) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 2, 0);
    worker.send(proto::ready{2});
    client.submit({task(1), task(2)});
    const auto d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 2u);
    client.send(proto::revoke{{id_of(1)}, true});
    client.send(proto::revoke{{id_of(2)}, false});
    bool saw_terminate = false;
    bool saw_cancel = false;
    for (int i = 0; i < 2; ++i) {
        const auto c = worker.expect<proto::cancel>();
        ASSERT_EQ(c.ids.size(), 1u);
        if (c.terminate) {
            saw_terminate = c.ids[0] == id_of(1);
        } else {
            saw_cancel = c.ids[0] == id_of(2);
        }
    }
    EXPECT_TRUE(saw_terminate);
    EXPECT_TRUE(saw_cancel);
    const auto r = client.results(2);
    for (const auto& o : r) EXPECT_EQ(o.status, proto::task_status::revoked);
}

TEST_F(TaskControl, ARevokedHeldTaskNeverComesBack) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1, 0);
    worker.send(proto::ready{1});
    auto later = task(1);
    later.options.countdown_ms = 200;
    client.submit({later});
    client.send(proto::revoke{{id_of(1)}, false});
    EXPECT_EQ(client.results(1).at(0).status, proto::task_status::revoked);
    advance(0.5);  // past its countdown: a DISPATCH would have left by now
    EXPECT_TRUE(worker.quiet_for(0.1));
}

class DeliveryLimit : public TaskControl {
  protected:
    static broker_config two_deliveries() {
        auto c = short_liveness();
        c.max_attempts = 2;
        return c;
    }
    DeliveryLimit() : TaskControl(two_deliveries()) {}
};

TEST_F(DeliveryLimit, APoisonTaskIsDeadLetteredThenRequeuedOnRequest) {
    client.submit({task(1)});
    for (int death = 1; death <= 2; ++death) {
        test_peer doomed(ctx, broker.endpoint());
        doomed.hello_worker({"add"}, 1, 0, "doomed");
        doomed.send(proto::ready{1});
        const auto d = doomed.expect<proto::dispatch>();
        ASSERT_EQ(d.tasks.size(), 1u);
        EXPECT_EQ(d.tasks[0].attempt, static_cast<std::uint32_t>(death));
        doomed.go_silent();  // dies holding it; declared dead after 200 ms
        advance_alive(broker, clock, 0.5, 0.1, client);
    }
    const auto r = client.results(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, proto::task_status::lost);
    EXPECT_EQ(r[0].error.type, "dead_letter");
    EXPECT_NE(r[0].error.message.find("2 attempts"), std::string::npos) << r[0].error.message;
    const auto dead = client.inspect("dead");
    ASSERT_EQ(dead.rows.size(), 1u);
    EXPECT_EQ(str_field(dead.rows[0], "task"), id_of(1).to_hex());
    EXPECT_EQ(str_field(dead.rows[0], "name"), "add");
    EXPECT_EQ(client.fetch({id_of(1)}).entries.at(0).state, proto::result_state::pending);

    // `shoal retry`: it runs once more; its result reaches the submitter.
    client.send(proto::requeue{{id_of(1), id_of(99)}});
    const auto acc = client.expect<proto::accepted>();
    ASSERT_EQ(acc.ids.size(), 1u);
    ASSERT_EQ(acc.refused.size(), 1u);
    EXPECT_EQ(acc.refused[0].id, id_of(99));
    EXPECT_EQ(acc.refused[0].error.type, "not_dead");
    test_peer healthy(ctx, broker.endpoint());
    healthy.hello_worker({"add"}, 1, 0, "healthy");
    healthy.send(proto::ready{1});
    const auto d = healthy.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].attempt, 3u);
    healthy.done_ok(d.tasks, 1);
    const auto again = client.results(1);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].status, proto::task_status::ok);
    EXPECT_TRUE(client.inspect("dead").rows.empty());
    EXPECT_EQ(stat(client, "dead_lettered"), 1);
    EXPECT_EQ(stat(client, "requeued_dead"), 1);
}

class RateLimited : public TaskControl {
  protected:
    static broker_config ten_per_second() {
        auto c = fast_config();
        c.rate_limits = "add=10/s";
        return c;
    }
    RateLimited() : TaskControl(ten_per_second()) {}
};

TEST_F(RateLimited, ALimitedNameIsDispatchedAtItsRateWhileOthersFlow) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add", "other"}, 100, 0);
    worker.send(proto::ready{100});
    std::vector<proto::submitted_task> tasks;
    for (std::uint32_t i = 1; i <= 10; ++i) tasks.push_back(task(i));
    for (std::uint32_t i = 11; i <= 15; ++i) tasks.push_back(task(i, "other"));
    client.submit(tasks);
    std::size_t adds = 0;
    std::size_t others = 0;
    const auto take = [&](std::size_t expected_adds) {
        while (adds < expected_adds || others < 5) {
            const auto d = worker.expect<proto::dispatch>();
            if (d.tasks.empty()) return;  // none came: expect() failed the test
            for (const auto& t : d.tasks) (t.name == "add" ? adds : others) += 1;
        }
    };
    // At once: the bucket's one add, and every other task (not held up behind the limit).
    take(1);
    EXPECT_EQ(adds, 1u);
    EXPECT_EQ(others, 5u);
    // Then one add per 100 ms of the clock (steps a little longer, so that rounding never
    // leaves a token just short of whole): the last leaves 0.9 s after the first, no sooner.
    for (std::size_t step = 2; step <= 10; ++step) {
        advance(0.11);
        take(step);
        EXPECT_EQ(adds, step) << "after " << step - 1 << " steps of 110 ms";
    }
    EXPECT_TRUE(worker.quiet_for(0.1));
    EXPECT_EQ(adds, 10u);
    EXPECT_EQ(others, 5u);
    const auto limits = client.inspect("limits");
    ASSERT_EQ(limits.rows.size(), 1u);
    EXPECT_EQ(str_field(limits.rows[0], "name"), "add");
    EXPECT_EQ(str_field(limits.rows[0], "per_second"), "10");
}

}  // namespace
