#include "dispatcher.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "manual_clock.hpp"

namespace {

using namespace shoal::broker;

class DispatcherTest : public ::testing::Test {
  protected:
    // Queues a task as the broker does: a pending store entry and a record in its lane.
    shoal::proto::task_id submit(std::uint8_t n, const char* name, std::string payload = "args",
                                 const char* queue = "default", std::uint32_t priority = 0,
                                 std::unique_ptr<task_extras> extras = nullptr) {
        shoal::proto::task_id id;
        id.bytes[0] = n;
        auto [entry, fresh] = store.add_pending(id);
        EXPECT_TRUE(fresh);
        const lane_id lane = queues.lane_for(queue, name, priority);
        entry->lane = lane;
        entry->seq = ++seq;
        entry->payload = std::move(payload);  // the entry keeps it; the record only the id
        queued_task t;
        t.id = id;
        t.seq = seq;
        t.extras = std::move(extras);
        queues.push_back(lane, std::move(t));
        return id;
    }
    shoal::proto::task_id submit_with_priority(std::uint8_t n, const char* name, std::uint32_t p) {
        return submit(n, name, "args", "default", p);
    }
    peer worker_offering(std::initializer_list<const char*> names,
                         std::vector<std::string> consumed = {"default"}) {
        peer w;
        w.role = shoal::proto::peer_role::worker;
        for (const char* n : names) w.worker.offered.push_back(queues.task_names().intern(n));
        w.worker.queues = std::move(consumed);
        return w;
    }

    shoal::testing::manual_clock clock;
    task_queues queues;
    inflight_table inflight;
    result_store store{clock, result_store_limits{}};
    rate_limits rates;
    double now = 100.0;
    dispatcher d{queues, inflight, store, rates};
    dispatch_batch batch;
    std::uint64_t seq = 0;
    const peer_ref ref{0, 1};
};

TEST_F(DispatcherTest, TakesOnlyFromTheQueuesTheWorkerConsumesOldestFirst) {
    submit(1, "add", "args", "gpu");
    submit(2, "add", "args", "default");
    submit(3, "add", "args", "io");
    submit(4, "add", "args", "gpu");
    const peer w = worker_offering({"add"}, {"gpu", "io", "never-used"});
    EXPECT_EQ(d.fill(w, ref, 10, 1 << 20, now, batch), 3u);
    ASSERT_EQ(batch.message.tasks.size(), 3u);
    EXPECT_EQ(batch.message.tasks[0].id.bytes[0], 1);
    EXPECT_EQ(batch.message.tasks[1].id.bytes[0], 3);
    EXPECT_EQ(batch.message.tasks[2].id.bytes[0], 4);
    dispatcher::restore(batch);
    EXPECT_EQ(queues.live_total(), 1u);  // the default one waits for a consumer of default
    EXPECT_EQ(d.fill(worker_offering({"add"}, {"nothing-here"}), ref, 10, 1 << 20, now, batch), 0u);
}

TEST_F(DispatcherTest, TakesOnlyOfferedNamesUpToTheCount) {
    submit(1, "add");
    submit(2, "mul");
    submit(3, "add");
    submit(4, "add");
    const peer w = worker_offering({"add"});
    EXPECT_EQ(d.fill(w, ref, 2, 1 << 20, now, batch), 2u);
    ASSERT_EQ(batch.message.tasks.size(), 2u);
    EXPECT_EQ(batch.message.tasks[0].id.bytes[0], 1);
    EXPECT_EQ(batch.message.tasks[1].id.bytes[0], 3);
    EXPECT_EQ(batch.message.tasks[0].name, "add");
    EXPECT_EQ(batch.message.tasks[0].attempt, 1u);
    EXPECT_EQ(batch.message.tasks[0].payload, "args");
    EXPECT_EQ(inflight.size(), 2u);
    EXPECT_EQ(queues.live_total(), 2u);  // mul and the last add
}

TEST_F(DispatcherTest, RestoreGivesPayloadsBackToTheirStoreEntries) {
    const auto id = submit(1, "add", "payload-bytes");
    const peer w = worker_offering({"add"});
    d.fill(w, ref, 1, 1 << 20, now, batch);
    EXPECT_EQ(batch.message.tasks[0].payload, "payload-bytes");
    dispatcher::restore(batch);
    ASSERT_NE(inflight.find(id), nullptr);
    EXPECT_EQ(store.find(id)->payload, "payload-bytes");
    EXPECT_EQ(inflight.find(id)->worker, ref);
}

TEST_F(DispatcherTest, UndoPutsTheBatchBackInOrder) {
    submit(1, "add");
    submit(2, "add");
    submit(3, "add");
    const peer w = worker_offering({"add"});
    d.fill(w, ref, 2, 1 << 20, now, batch);
    d.undo(batch);
    EXPECT_EQ(inflight.size(), 0u);
    EXPECT_EQ(queues.live_total(), 3u);
    d.fill(w, ref, 3, 1 << 20, now, batch);
    ASSERT_EQ(batch.message.tasks.size(), 3u);
    EXPECT_EQ(batch.message.tasks[0].id.bytes[0], 1);
    EXPECT_EQ(batch.message.tasks[1].id.bytes[0], 2);
    EXPECT_EQ(batch.message.tasks[0].payload, "args");
}

TEST_F(DispatcherTest, StopsAtTheByteBudgetButAlwaysTakesOne) {
    submit(1, "add", std::string(1000, 'x'));
    submit(2, "add", std::string(1000, 'y'));
    const peer w = worker_offering({"add"});
    EXPECT_EQ(d.fill(w, ref, 10, 1500, now, batch), 1u);
    EXPECT_EQ(d.fill(w, ref, 10, 10, now, batch),
              1u);  // one task bigger than the budget still goes
}

TEST_F(DispatcherTest, SkipsTasksRevokedWhileQueued) {
    const auto id = submit(1, "add");
    submit(2, "add");
    task_entry* e = store.find(id);
    store.complete(*e, {id, shoal::proto::task_status::revoked, "", {"revoked", "", "broker"}});
    queues.mark_stale(e->lane);
    const peer w = worker_offering({"add"});
    EXPECT_EQ(d.fill(w, ref, 10, 1 << 20, now, batch), 1u);
    EXPECT_EQ(batch.message.tasks[0].id.bytes[0], 2);
}

TEST_F(DispatcherTest, PassesTimeLimitOnly) {
    auto extras = std::make_unique<task_extras>();
    extras->time_limit_ms = 1500;
    extras->soft_time_limit_ms = 700;
    submit(9, "add", "args", "default", 0, std::move(extras));
    const peer w = worker_offering({"add"});
    d.fill(w, ref, 1, 1 << 20, now, batch);
    ASSERT_EQ(batch.message.tasks.size(), 1u);
    EXPECT_EQ(batch.message.tasks[0].options.time_limit_ms, 1500u);
    EXPECT_EQ(batch.message.tasks[0].options.soft_time_limit_ms, 700u);
    EXPECT_FALSE(batch.message.tasks[0].options.priority.has_value());
}

TEST_F(DispatcherTest, HigherPriorityFirstThenOldest) {
    const auto low_old = submit(1, "add");
    const auto high_new = submit_with_priority(2, "add", 7);
    const auto mid = submit_with_priority(3, "add", 3);
    const auto high_newer = submit_with_priority(4, "add", 7);
    const peer w = worker_offering({"add"});
    ASSERT_EQ(d.fill(w, ref, 10, 1 << 20, now, batch), 4u);
    EXPECT_EQ(batch.message.tasks[0].id, high_new);
    EXPECT_EQ(batch.message.tasks[1].id, high_newer);
    EXPECT_EQ(batch.message.tasks[2].id, mid);
    EXPECT_EQ(batch.message.tasks[3].id, low_old);
}

TEST_F(DispatcherTest, ARateLimitedNameIsPassedOverAndTheRestFlows) {
    rates.set(queues.task_names().intern("slow"), 2.0);  // a bucket of one token
    submit(1, "slow");
    submit(2, "slow");
    submit(3, "add");
    const peer w = worker_offering({"add", "slow"});
    ASSERT_EQ(d.fill(w, ref, 10, 1 << 20, now, batch), 2u);  // one slow, then add
    EXPECT_EQ(batch.message.tasks[0].id.bytes[0], 1);
    EXPECT_EQ(batch.message.tasks[1].id.bytes[0], 3);
    const auto wake = rates.take_wake_up();
    ASSERT_TRUE(wake.has_value());
    EXPECT_NEAR(*wake, now + 0.5, 1e-9);  // the next token of 2/s
    dispatcher::restore(batch);
    ASSERT_EQ(d.fill(w, ref, 10, 1 << 20, now + 0.25, batch), 0u);  // not yet
    ASSERT_EQ(d.fill(w, ref, 10, 1 << 20, now + 0.5, batch), 1u);
    EXPECT_EQ(batch.message.tasks[0].id.bytes[0], 2);
}

TEST_F(DispatcherTest, WorkerOfferingNothingGetsNothing) {
    submit(1, "add");
    const peer w = worker_offering({"other"});
    EXPECT_EQ(d.fill(w, ref, 10, 1 << 20, now, batch), 0u);
    EXPECT_EQ(queues.live_total(), 1u);
}

}  // namespace
