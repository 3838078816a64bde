// remote_future semantics against a broker played by the test: values, typed errors,
// status, callbacks exactly once, get(timeout), cancel (REVOKE) and close.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "fake_broker.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"

namespace {

using namespace shoal;
using shoal::testing::fake_broker;
using shoal::testing::reply_deadline_s;
using shoal::testing::wait_until;

inline constexpr task_def<int(int, int)> add{"add"};
inline constexpr task_def<std::string(std::string)> echo{"echo"};
inline constexpr task_def<int()> fail{"fail"};
inline constexpr task_def<void(int)> sleep_ms{"sleep_ms"};
inline constexpr task_def<int(int)> held{"held"};  // runs until the test releases it
inline constexpr task_def<int(int)> nobody_runs_this{"nobody_runs_this"};

proto::outcome ok_outcome(const proto::task_id& id, int value) {
    proto::outcome o;
    o.id = id;
    o.payload = detail::pack_result(value);
    return o;
}

proto::outcome error_outcome(const proto::task_id& id, proto::task_status s, proto::error_info e) {
    proto::outcome o;
    o.id = id;
    o.status = s;
    o.error = std::move(e);
    return o;
}

class RemoteFuture : public ::testing::Test {
  protected:
    fake_broker broker_;
};

TEST_F(RemoteFuture, SubmitSendsTheTaskAndTheResultSettlesTheFuture) {
    client c(broker_.endpoint(), shoal::testing::quick_options());
    auto f = c.submit(add, 2, 3);
    EXPECT_EQ(f.status(), remote_status::pending);
    const auto identity = broker_.handshake();
    auto [from, s] = broker_.expect<proto::submit>();
    ASSERT_EQ(s.tasks.size(), 1u);
    const auto& t = s.tasks[0];
    EXPECT_EQ(t.id, f.id());
    EXPECT_EQ(t.name, "add");
    EXPECT_EQ(t.queue, "default");
    EXPECT_TRUE(t.options.empty());
    const auto args = detail::unpack_arguments<int, int>(t.payload, "add");
    EXPECT_EQ(args, std::make_tuple(2, 3));

    broker_.send(identity, proto::accepted{{t.id}, {}});
    wait_until([&] { return f.status() != remote_status::pending; }, reply_deadline_s);
    EXPECT_EQ(f.status(), remote_status::accepted);
    EXPECT_FALSE(f.done());

    broker_.send(identity, proto::result{{ok_outcome(t.id, 5)}});
    EXPECT_EQ(f.get(reply_deadline_s), 5);
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.status(), remote_status::done);
    EXPECT_EQ(f.exception(0.0), nullptr);
}

TEST_F(RemoteFuture, GetTimesOutWhileNoResultCame) {
    client c(broker_.endpoint(), shoal::testing::quick_options());
    auto f = c.submit(add, 1, 1);
    broker_.handshake();
    broker_.expect<proto::submit>();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(f.get(0.1), timeout_error);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(90));
    EXPECT_FALSE(f.wait(0.05));
    EXPECT_FALSE(f.done());
}

TEST_F(RemoteFuture, AFailedTaskRethrowsAsRemoteTaskErrorNamingTheWorker) {
    broker_.serve();
    client c(broker_.endpoint(), shoal::testing::quick_options());
    auto f = c.submit(fail);
    try {
        f.get(reply_deadline_s);
        FAIL() << "no exception";
    } catch (const remote_task_error& e) {
        EXPECT_EQ(e.type(), "std::runtime_error");
        EXPECT_STREQ(e.what(), "boom");
        EXPECT_EQ(e.where(), "worker-7");
    }
    EXPECT_EQ(f.status(), remote_status::failed);
    // The same error is a shoal::task_error for code that does not care where it came from.
    EXPECT_THROW(f.get(), task_error);
    EXPECT_NE(f.exception(), nullptr);
}

TEST_F(RemoteFuture, EveryNonOkOutcomeHasItsOwnTypedError) {
    client c(broker_.endpoint(), shoal::testing::quick_options());
    auto unknown = c.submit(add, 1, 2);
    auto lost = c.submit(add, 3, 4);
    auto revoked = c.submit(add, 5, 6);
    auto wrong_type = c.submit(add, 7, 8);
    const auto identity = broker_.handshake();
    broker_.expect_items<proto::submit>(4, [](const proto::submit& s) { return s.tasks.size(); });
    proto::result r;
    r.outcomes.push_back(error_outcome(unknown.id(), proto::task_status::unknown_task,
                                       {"unknown_task", "no worker can run 'add'", "broker"}));
    r.outcomes.push_back(error_outcome(lost.id(), proto::task_status::lost,
                                       {"lost", "worker-2 died 3 times", "broker"}));
    r.outcomes.push_back(error_outcome(revoked.id(), proto::task_status::revoked,
                                       {"revoked", "by another client", "broker"}));
    proto::outcome text;
    text.id = wrong_type.id();
    text.payload = detail::pack_result(std::string("not an int"));
    r.outcomes.push_back(text);
    broker_.send(identity, r);

    try {
        unknown.get(reply_deadline_s);
        FAIL();
    } catch (const unknown_task_error& e) {
        EXPECT_EQ(e.code(), "unknown_task");
        EXPECT_STREQ(e.what(), "no worker can run 'add'");
    }
    try {
        lost.get(reply_deadline_s);
        FAIL();
    } catch (const task_lost_error& e) {
        EXPECT_STREQ(e.what(), "worker-2 died 3 times");
    }
    EXPECT_THROW(revoked.get(reply_deadline_s), cancelled_error);
    EXPECT_EQ(revoked.status(), remote_status::revoked);
    EXPECT_TRUE(revoked.cancelled());
    try {
        wrong_type.get(reply_deadline_s);
        FAIL();
    } catch (const task_error& e) {
        EXPECT_EQ(e.type(), detail::result_error_type);
    }
    EXPECT_EQ(unknown.status(), remote_status::failed);
    EXPECT_EQ(lost.status(), remote_status::failed);
}

TEST_F(RemoteFuture, DoneCallbacksRunExactlyOnceAlsoWhenAddedAfterCompletion) {
    broker_.serve();
    client c(broker_.endpoint(), shoal::testing::quick_options());
    std::atomic<int> before{0};
    std::atomic<int> after{0};
    std::atomic<int> seen_value{0};
    auto f = c.submit(add, 20, 22);
    f.add_done_callback([&](remote_future<int> done) {
        seen_value = done.get(0.0);
        ++before;
    });
    ASSERT_EQ(f.get(reply_deadline_s), 42);
    // The callback runs on the I/O thread after the value is set.
    wait_until([&] { return before.load() > 0; }, reply_deadline_s);
    f.add_done_callback([&](remote_future<int> done) {
        EXPECT_EQ(done.status(), remote_status::done);
        ++after;
    });
    EXPECT_EQ(after.load(), 1);  // already done: ran at once, in this thread
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(before.load(), 1);
    EXPECT_EQ(after.load(), 1);
    EXPECT_EQ(seen_value.load(), 42);
}

TEST_F(RemoteFuture, CallbacksAddedFromManyThreadsWhileTheResultArrivesEachRunOnce) {
    broker_.serve();
    client c(broker_.endpoint(), shoal::testing::quick_options());
    auto f = c.submit(sleep_ms, 30);
    std::atomic<int> calls{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                f.add_done_callback([&](const remote_future<void>&) { ++calls; });
                std::this_thread::sleep_for(std::chrono::microseconds(500));
            }
        });
    }
    for (auto& t : threads) t.join();
    f.get(reply_deadline_s);
    // get() may return while the I/O thread is still running the callbacks it found.
    wait_until([&] { return calls.load() >= 200; }, reply_deadline_s);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(calls.load(), 200);
}

TEST_F(RemoteFuture, CancelRevokesOnTheBrokerAndCancelsLocally) {
    client c(broker_.endpoint(), shoal::testing::quick_options());
    auto f = c.submit(add, 1, 2);
    const auto identity = broker_.handshake();
    auto [from, s] = broker_.expect<proto::submit>();
    broker_.send(identity, proto::accepted{{f.id()}, {}});
    std::atomic<int> callbacks{0};
    f.add_done_callback([&](remote_future<int> done) {
        EXPECT_TRUE(done.cancelled());
        ++callbacks;
    });
    EXPECT_TRUE(f.cancel());
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.status(), remote_status::revoked);
    EXPECT_THROW(f.get(), cancelled_error);
    EXPECT_EQ(callbacks.load(), 1);
    auto [from2, r] = broker_.expect<proto::revoke>();
    ASSERT_EQ(r.ids.size(), 1u);
    EXPECT_EQ(r.ids[0], f.id());
    // A late result for a revoked task changes nothing.
    broker_.send(identity, proto::result{{ok_outcome(f.id(), 3)}});
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(f.status(), remote_status::revoked);
    EXPECT_EQ(callbacks.load(), 1);
}

TEST_F(RemoteFuture, CancelAfterTheResultDoesNothing) {
    broker_.serve();
    client c(broker_.endpoint(), shoal::testing::quick_options());
    auto f = c.submit(add, 1, 2);
    ASSERT_EQ(f.get(reply_deadline_s), 3);
    EXPECT_FALSE(f.cancel());
    EXPECT_EQ(f.status(), remote_status::done);
}

TEST_F(RemoteFuture, ATaskCancelledBeforeItLeftIsNeverSent) {
    client c(broker_.endpoint(), shoal::testing::quick_options());
    auto dropped = c.submit(add, 1, 2);
    EXPECT_TRUE(dropped.cancel());
    auto kept = c.submit(add, 3, 4);
    const auto identity = broker_.handshake();
    auto [from, s] = broker_.expect<proto::submit>();
    ASSERT_EQ(s.tasks.size(), 1u);
    EXPECT_EQ(s.tasks[0].id, kept.id());
}

TEST_F(RemoteFuture, TheUntypedPathCarriesRawMsgpack) {
    broker_.serve();
    client c(broker_.endpoint(), shoal::testing::quick_options());
    auto f = c.submit_raw("add", detail::pack_arguments(40, 2));
    const raw_msgpack r = f.get(reply_deadline_s);
    EXPECT_EQ(r.as<int>(), 42);
    EXPECT_EQ(r.unpack().get().as<long>(), 42);
    auto s = c.submit(echo, "hi");
    EXPECT_EQ(s.get(reply_deadline_s), "hi");
}

TEST_F(RemoteFuture, CloseFailsPendingFuturesAndLaterSubmitsThrow) {
    broker_.serve();
    client_options options = shoal::testing::quick_options();
    options.close_grace_s = 1.0;
    client c(broker_.endpoint(), options);
    ASSERT_TRUE(c.wait_connected(reply_deadline_s));
    auto f = c.submit(held, 1);
    ASSERT_TRUE(c.flush(reply_deadline_s));  // accepted, still running
    EXPECT_EQ(f.status(), remote_status::accepted);
    c.close();
    EXPECT_THROW(f.get(1.0), client_closed_error);
    EXPECT_THROW(f.get(1.0), executor_shutdown_error);
    EXPECT_EQ(f.status(), remote_status::failed);
    EXPECT_THROW(c.submit(add, 1, 2), executor_shutdown_error);
    EXPECT_FALSE(c.connected());
    c.close();  // idempotent
}

TEST_F(RemoteFuture, CloseWaitsBrieflyForTasksTheBrokerHasNotAcknowledged) {
    // The broker acknowledges only after a while: close() must wait for it, so that a
    // submit-then-close program does not lose its task.
    client_options options = shoal::testing::quick_options();
    // Long enough that only the ACCEPTED can end close(), however slow the machine.
    options.close_grace_s = 30.0;
    auto c = std::make_unique<client>(broker_.endpoint(), options);
    const auto identity = broker_.handshake();
    auto f = c->submit(add, 1, 2);
    auto [from, s] = broker_.expect<proto::submit>();
    std::thread closer([&] { c->close(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(f.done());  // still waiting inside close()
    broker_.send(identity, proto::accepted{{f.id()}, {}});
    closer.join();
    EXPECT_THROW(f.get(1.0), client_closed_error);
}

TEST_F(RemoteFuture, EmptyHandlesAndBadSubmitsThrowTypedErrors) {
    remote_future<int> empty;
    EXPECT_FALSE(empty.valid());
    EXPECT_THROW(empty.get(), invalid_state_error);
    client c(broker_.endpoint(), shoal::testing::quick_options());
    EXPECT_THROW(c.submit({.priority = 10}, add, 1, 2), invalid_submit_error);
    EXPECT_THROW(c.submit({.queue = std::string(300, 'q')}, add, 1, 2), invalid_submit_error);
    EXPECT_THROW(c.submit_raw("", detail::pack_arguments()), invalid_submit_error);
    EXPECT_THROW(c.submit({.time_limit = std::chrono::milliseconds(0)}, add, 1, 2),
                 invalid_submit_error);
}

TEST_F(RemoteFuture, BlockingInsideADoneCallbackThrowsInsteadOfHanging) {
    broker_.serve();
    client c(broker_.endpoint(), shoal::testing::quick_options());
    auto slow = c.submit(held, 2000);  // never released: pending throughout
    std::atomic<int> refused{0};
    std::atomic<int> polled{0};
    auto f = c.submit(add, 1, 2);
    f.add_done_callback([&](remote_future<int>) {
        // On the I/O thread: waiting for another pending result there could never end.
        try {
            slow.get(1.0);
        } catch (const invalid_state_error&) {
            ++refused;
        }
        try {
            c.flush(1.0);
        } catch (const invalid_state_error&) {
            ++refused;
        }
        if (!slow.wait(0.0)) ++polled;  // a poll does not block, so it is allowed
    });
    ASSERT_EQ(f.get(reply_deadline_s), 3);
    wait_until([&] { return refused.load() + polled.load() >= 3; }, reply_deadline_s);
    EXPECT_EQ(refused.load(), 2);
    EXPECT_EQ(polled.load(), 1);
}

TEST_F(RemoteFuture, AnUnknownTaskNameFailsWithUnknownTaskError) {
    broker_.serve();
    client c(broker_.endpoint(), shoal::testing::quick_options());
    EXPECT_THROW(c.submit(nobody_runs_this, 1).get(reply_deadline_s), unknown_task_error);
}

}  // namespace
