// Named queues against an in-process broker: a worker consumes the queues its HELLO names
// (none named: `default`), a task waits in its queue until a worker consuming it has credit,
// INSPECT queues shows each queue's consumers, and the route table puts a task that names no
// queue into its task name's queue.

#include <chrono>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;
using namespace std::string_literals;

proto::submitted_task task_in(std::uint32_t n, std::string queue, std::string name = "add") {
    proto::submitted_task t = task(n, std::move(name));
    t.queue = std::move(queue);
    return t;
}

std::set<proto::task_id> ids_of(const proto::dispatch& d) {
    std::set<proto::task_id> ids;
    for (const auto& t : d.tasks) ids.insert(t.id);
    return ids;
}

class BrokerQueues : public ::testing::Test {
  protected:
    explicit BrokerQueues(broker_config config = fast_config()) : broker(std::move(config)) {}

    embedded_broker broker;
    zmq::context_t ctx;
    test_peer client{ctx, broker.endpoint()};
    void SetUp() override { client.hello_client(); }

    // Waits until the broker has taken in the workers' READYs (they come over other
    // connections than the client's INSPECT): at most 10 s.
    void sync_credit(std::int64_t expected) {
        std::int64_t credit = -1;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            credit = 0;
            for (const auto& row : client.inspect("workers").rows)
                credit += int_field(row, "credit");
            if (credit == expected) return;
        }
        EXPECT_EQ(credit, expected);
    }

    // INSPECT queues, by queue name.
    std::map<std::string, proto::report_row> queues() {
        std::map<std::string, proto::report_row> by_name;
        for (auto& row : client.inspect("queues").rows) by_name[str_field(row, "name")] = row;
        return by_name;
    }
};

TEST_F(BrokerQueues, AGpuTaskWaitsForAGpuWorkerEvenWhenADefaultWorkerHasCredit) {
    test_peer plain(ctx, broker.endpoint());
    plain.hello_worker({"add"}, 4, 0, "cpu-worker");  // names no queue: consumes `default`
    plain.send(proto::ready{4});
    sync_credit(4);

    const auto acc = client.submit({task_in(1, "gpu"), task_in(2, "default")});
    EXPECT_EQ(acc.ids.size(), 2u);
    EXPECT_TRUE(acc.refused.empty());  // nobody consumes gpu: it waits, it is not refused
    const auto d = plain.expect<proto::dispatch>();
    EXPECT_EQ(ids_of(d), std::set<proto::task_id>{id_of(2)});

    // Still there, with credit to spare at the only worker: the user sees why in inspect.
    auto rows = queues();
    ASSERT_EQ(rows.count("gpu"), 1u);
    EXPECT_EQ(int_field(rows["gpu"], "length"), 1);
    EXPECT_EQ(int_field(rows["gpu"], "consumers"), 0);

    test_peer gpu(ctx, broker.endpoint());
    gpu.hello_worker_of({"gpu"}, {"add"}, 1, 0, "gpu-worker");
    gpu.send(proto::ready{1});
    const auto g = gpu.expect<proto::dispatch>();
    EXPECT_EQ(ids_of(g), std::set<proto::task_id>{id_of(1)});

    plain.done_ok(d.tasks, 1);
    gpu.done_ok(g.tasks, 1);
    const auto results = client.results(2);
    ASSERT_EQ(results.size(), 2u);
    for (const auto& o : results) EXPECT_EQ(o.status, proto::task_status::ok);
    EXPECT_TRUE(plain.quiet_for(0.1));  // the gpu task never reached it
}

TEST_F(BrokerQueues, AWorkerTakesFromEveryQueueItConsumesAndFromNoOther) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker_of({"gpu", "io"}, {"add"}, 10, 0, "gpu-io");
    worker.send(proto::ready{10});
    sync_credit(10);
    client.submit(
        {task_in(1, "default"), task_in(2, "gpu"), task_in(3, "io"), task_in(4, "other")});
    const auto d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 2u);
    EXPECT_EQ(d.tasks[0].id, id_of(2));  // oldest first across its queues
    EXPECT_EQ(d.tasks[1].id, id_of(3));
    auto rows = queues();
    EXPECT_EQ(int_field(rows["default"], "length"), 1);
    EXPECT_EQ(int_field(rows["other"], "length"), 1);
    // Credit it was not sent against stays: 8 left for when its queues fill.
    sync_credit(8);
    client.submit({task_in(5, "io")});
    EXPECT_EQ(ids_of(worker.expect<proto::dispatch>()), std::set<proto::task_id>{id_of(5)});
}

TEST_F(BrokerQueues, InspectQueuesShowsEachQueuesLengthAndConsumers) {
    test_peer plain(ctx, broker.endpoint());
    plain.hello_worker({"add"}, 1, 0, "w-default");
    test_peer gpu(ctx, broker.endpoint());
    gpu.hello_worker_of({"gpu"}, {"add"}, 1, 0, "w-gpu");
    test_peer both(ctx, broker.endpoint());
    both.hello_worker_of({"gpu", "default"}, {"add"}, 1, 0, "w-both");
    client.submit({task_in(1, "gpu"), task_in(2, "orphan")});

    auto rows = queues();
    ASSERT_EQ(rows.size(), 3u);  // default is listed for its consumers, with nothing queued
    EXPECT_EQ(int_field(rows["default"], "length"), 0);
    EXPECT_EQ(int_field(rows["default"], "consumers"), 2);
    EXPECT_EQ(str_field(rows["default"], "workers"), "w-both,w-default");
    EXPECT_EQ(int_field(rows["gpu"], "length"), 1);
    EXPECT_EQ(int_field(rows["gpu"], "consumers"), 2);
    EXPECT_EQ(str_field(rows["gpu"], "workers"), "w-both,w-gpu");
    EXPECT_EQ(int_field(rows["orphan"], "length"), 1);
    EXPECT_EQ(int_field(rows["orphan"], "consumers"), 0);
    EXPECT_EQ(str_field(rows["orphan"], "workers"), "");

    std::map<std::string, std::string> queues_of;
    for (const auto& row : client.inspect("workers").rows)
        queues_of[str_field(row, "name")] = str_field(row, "queues");
    EXPECT_EQ(queues_of["w-default"], "default");
    EXPECT_EQ(queues_of["w-gpu"], "gpu");
    EXPECT_EQ(queues_of["w-both"], "default,gpu");

    // A worker gone is no consumer any more.
    gpu.send(proto::bye{"leaving"});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (int_field(queues()["gpu"], "consumers") != 1 &&
           std::chrono::steady_clock::now() < deadline) {
    }
    EXPECT_EQ(str_field(queues()["gpu"], "workers"), "w-both");
}

TEST_F(BrokerQueues, AWorkerThatSaysHelloAgainConsumesWhatItNamesNow) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1, 0, "w");
    client.submit({task_in(1, "gpu")});
    worker.hello_worker_of({"gpu"}, {"add"}, 1, 0, "w");
    worker.send(proto::ready{1});
    EXPECT_EQ(ids_of(worker.expect<proto::dispatch>()), std::set<proto::task_id>{id_of(1)});
}

broker_config routed_config() {
    broker_config c = fast_config();
    c.task_routes = "train=gpu,resize=images";
    return c;
}

class BrokerRoutes : public BrokerQueues {
  protected:
    BrokerRoutes() : BrokerQueues(routed_config()) {}
};

TEST_F(BrokerRoutes, ATaskThatNamesNoQueueWaitsInTheQueueItsNameIsRoutedTo) {
    test_peer plain(ctx, broker.endpoint());
    plain.hello_worker({"add", "train", "resize"}, 10, 0, "w-default");
    plain.send(proto::ready{10});
    sync_credit(10);
    const auto acc = client.submit({task_in(1, "default", "train"), task_in(2, "special", "train"),
                                    task_in(3, "default", "add"), task_in(4, "default", "resize")});
    EXPECT_EQ(acc.ids.size(), 4u);
    EXPECT_EQ(ids_of(plain.expect<proto::dispatch>()), std::set<proto::task_id>{id_of(3)});
    auto rows = queues();
    EXPECT_EQ(int_field(rows["gpu"], "length"), 1);      // routed
    EXPECT_EQ(int_field(rows["special"], "length"), 1);  // named in the submit: not routed
    EXPECT_EQ(int_field(rows["images"], "length"), 1);
    EXPECT_EQ(int_field(rows["default"], "length"), 0);

    // The same SUBMIT again is the same task (its fingerprint is what the client sent).
    const auto again = client.submit({task_in(1, "default", "train")});
    EXPECT_EQ(again.ids, std::vector<proto::task_id>{id_of(1)});
    EXPECT_TRUE(again.refused.empty());

    test_peer gpu(ctx, broker.endpoint());
    gpu.hello_worker_of({"gpu"}, {"train"}, 1, 0, "w-gpu");
    gpu.send(proto::ready{1});
    EXPECT_EQ(ids_of(gpu.expect<proto::dispatch>()), std::set<proto::task_id>{id_of(1)});
}

TEST_F(BrokerQueues, AWorkerOfTheFormerMinorIsServedAndConsumesDefault) {
    // A minor-1 worker sends no queues (its HELLO's details are [slots, prefetch, names]).
    test_peer old(ctx, broker.endpoint());
    // ["worker", "minor-1", 1, [1, 0, ["add"]]]
    old.send_raw(proto::command::hello,
                 "\x94\xa6"
                 "worker"
                 "\xa7"
                 "minor-1"
                 "\x01\x93\x01\x00\x91\xa3"
                 "add"s);
    old.expect<proto::welcome>();
    old.stay_alive();
    old.send(proto::ready{1});
    client.submit({task_in(1, "gpu"), task_in(2, "default")});
    EXPECT_EQ(ids_of(old.expect<proto::dispatch>()), std::set<proto::task_id>{id_of(2)});
    EXPECT_EQ(str_field(queues()["default"], "workers"), "minor-1");
}

}  // namespace
