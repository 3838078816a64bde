// Remote waits: a task with a host tag that suspends on a remote future tells the loop's host
// (the worker, which gives the task's slot back), and goes on only once the host grants it.
// The host here records what it is told and holds grants until the test releases them.

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "loop_fixture.hpp"
#include "shoal/common/as_completed.hpp"
#include "shoal/common/detail/remote_wait_host.hpp"
#include "shoal/common/detail/task_driver.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/gather.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/wait.hpp"
#include "shoal/common/wait_for.hpp"

namespace {

using shoal::future;
using shoal::task;

// Records the calls; a grant stays pending until release() (a slot frees up).
class recording_host final : public shoal::detail::remote_wait_host {
  public:
    explicit recording_host(shoal::event_loop& loop) : loop_(loop) {}

    bool begin_remote_wait(std::uint64_t tag) override {
        calls.push_back("begin " + std::to_string(tag));
        return tag != unknown_tag;
    }
    shoal::detail::ref_ptr<shoal::detail::future_base> end_remote_wait(std::uint64_t tag) override {
        calls.push_back("end " + std::to_string(tag));
        grants.push_back(loop_.create_future<void>());
        return grants.back().state_ptr();
    }
    void end_remote_wait_now(std::uint64_t tag) override {
        calls.push_back("end now " + std::to_string(tag));
    }
    void take_slot_now(std::uint64_t tag) override {
        calls.push_back("take slot now " + std::to_string(tag));
    }

    void release_all() {
        for (auto& grant : grants) {
            if (!grant.done()) grant.set_result();
        }
    }

    static constexpr std::uint64_t unknown_tag = 99;
    std::vector<std::string> calls;
    std::vector<future<void>> grants;

  private:
    shoal::event_loop& loop_;
};

class RemoteWait : public shoal::testing::loop_fixture {
  protected:
    RemoteWait() { loop().set_remote_wait_host(&host_); }
    void TearDown() override {
        loop().set_remote_wait_host(nullptr);
        loop_fixture::TearDown();
    }

    // A task on the loop whose driver carries `tag`, as the worker tags a job's task.
    template <class T>
    future<T> start_tagged(task<T> t, std::uint64_t tag) {
        future<T> handle = loop().create_task(std::move(t));
        handle.state().as_task_driver()->set_host_tag(tag);
        return handle;
    }

    future<long> remote_future() {
        future<long> f = loop().create_future<long>();
        f.state().mark_remote();
        return f;
    }

    recording_host host_{loop()};
};

task<long> await_one(future<long> f) { co_return co_await f; }

TEST_F(RemoteWait, ATaggedTaskAwaitingARemoteFutureGoesOnOnlyOnceTheHostGrantsIt) {
    auto remote = remote_future();
    auto handle = start_tagged(await_one(remote), 7);
    run_once();
    EXPECT_EQ(host_.calls, (std::vector<std::string>{"begin 7"}));
    remote.set_result(42);
    run_once();
    run_once();
    EXPECT_EQ(host_.calls, (std::vector<std::string>{"begin 7", "end 7"}));
    EXPECT_FALSE(handle.done()) << "went on before the host granted it a slot";
    host_.release_all();
    run_once();
    run_once();
    ASSERT_TRUE(handle.done());
    EXPECT_EQ(handle.result(), 42);
}

TEST_F(RemoteWait, ALocalFutureOrAnUntaggedTaskTellsTheHostNothing) {
    auto local = loop().create_future<long>();
    auto tagged_local = start_tagged(await_one(local), 7);
    auto remote = remote_future();
    auto untagged_remote = loop().create_task(await_one(remote));
    run_once();
    local.set_result(1);
    remote.set_result(2);
    run_once();
    run_once();
    EXPECT_EQ(tagged_local.result(), 1);
    EXPECT_EQ(untagged_remote.result(), 2);
    EXPECT_TRUE(host_.calls.empty());
}

TEST_F(RemoteWait, AWaitTheHostDoesNotCountEndsWithoutAsking) {
    auto remote = remote_future();
    auto handle = start_tagged(await_one(remote), recording_host::unknown_tag);
    run_once();
    remote.set_result(5);
    run_once();
    run_once();
    EXPECT_EQ(handle.result(), 5);
    EXPECT_EQ(host_.calls, (std::vector<std::string>{"begin 99"}));
}

task<long> create_and_await(future<long> f) {
    auto child = shoal::event_loop::current().create_task(await_one(f));
    co_return co_await child;
}

TEST_F(RemoteWait, ATaskCreatedByATaggedTaskInheritsItsTag) {
    auto remote = remote_future();
    auto handle = start_tagged(create_and_await(remote), 3);
    run_once();
    run_once();
    EXPECT_EQ(host_.calls, (std::vector<std::string>{"begin 3"}));
    remote.set_result(8);
    run_once();
    host_.release_all();
    for (int i = 0; i < 5 && !handle.done(); ++i) run_once();
    EXPECT_EQ(handle.result(), 8);
    EXPECT_EQ(host_.calls, (std::vector<std::string>{"begin 3", "end 3"}));
}

task<long> gather_both(future<long> a, future<long> b) {
    auto [x, y] = co_await shoal::gather(std::move(a), std::move(b));
    co_return x + y;
}
// (The vectors are built before co_await: GCC 12 rejects a braced vector inside one.)
task<long> wait_both(future<long> a, future<long> b) {
    std::vector<future<long>> both;
    both.push_back(a);
    both.push_back(b);
    auto result = co_await shoal::wait(std::move(both));
    co_return result.done[0].result() + result.done[1].result();
}
task<long> each_as_completed(future<long> a, future<long> b) {
    std::vector<future<long>> both;
    both.push_back(a);
    both.push_back(b);
    auto each = shoal::as_completed(std::move(both));
    long sum = 0;
    while (auto f = co_await each.next()) sum += f->result();
    co_return sum;
}
task<long> wait_for_one(future<long> a, future<long>) {
    co_return co_await shoal::wait_for(std::move(a), 3600.0);
}

// gather, wait, as_completed and wait_for over a remote future (beside a local one) wait on
// remote work too.
TEST_F(RemoteWait, CombinatorsOverARemoteFutureWaitOnRemoteWork) {
    using combinator = task<long> (*)(future<long>, future<long>);
    for (combinator how : {combinator{gather_both}, combinator{wait_both},
                           combinator{each_as_completed}, combinator{wait_for_one}}) {
        host_.calls.clear();
        auto remote = remote_future();
        auto local = loop().create_future<long>();
        local.set_result(1);
        auto handle = start_tagged(how(remote, local), 11);
        run_once();
        run_once();
        EXPECT_EQ(host_.calls, (std::vector<std::string>{"begin 11"}));
        remote.set_result(2);
        for (int i = 0; i < 5; ++i) run_once();
        EXPECT_FALSE(handle.done()) << "went on before the host granted it a slot";
        host_.release_all();
        for (int i = 0; i < 5 && !handle.done(); ++i) run_once();
        ASSERT_TRUE(handle.done());
        EXPECT_GE(handle.result(), 1);
        EXPECT_EQ(host_.calls, (std::vector<std::string>{"begin 11", "end 11"}));
    }
}

TEST_F(RemoteWait, ACancelWhileWaitingOnRemoteWorkEndsTheWaitAtOnce) {
    auto remote = remote_future();
    auto handle = start_tagged(await_one(remote), 4);
    run_once();
    handle.cancel();
    for (int i = 0; i < 3; ++i) run_once();
    EXPECT_TRUE(handle.cancelled());
    EXPECT_EQ(host_.calls, (std::vector<std::string>{"begin 4", "end now 4"}));
}

TEST_F(RemoteWait, ACancelWhileWaitingForTheGrantTakesTheSlotAtOnceAndCancelsTheTask) {
    auto remote = remote_future();
    auto handle = start_tagged(await_one(remote), 5);
    run_once();
    remote.set_result(1);
    run_once();
    run_once();
    ASSERT_EQ(host_.calls, (std::vector<std::string>{"begin 5", "end 5"}));
    handle.cancel();
    for (int i = 0; i < 3; ++i) run_once();
    EXPECT_TRUE(handle.cancelled());
    EXPECT_EQ(host_.calls, (std::vector<std::string>{"begin 5", "end 5", "take slot now 5"}));
}

}  // namespace
