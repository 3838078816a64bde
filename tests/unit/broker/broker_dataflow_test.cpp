// Futures as arguments (PROTOCOL.md section 6.5) against an in-process broker: a task whose
// inputs name other tasks waits for their results, gets them spliced into its arguments, and
// fails or is revoked with them.

#include <chrono>

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

proto::submitted_task dependent(std::uint32_t n, std::string payload,
                                std::vector<proto::task_input> inputs, std::string name = "add") {
    proto::submitted_task t = task(n, std::move(name), std::move(payload));
    t.options.inputs = std::move(inputs);
    return t;
}

proto::task_input one(std::uint32_t index, std::uint32_t input) {
    return proto::task_input{index, {id_of(input)}, false};
}

class BrokerDataflow : public ::testing::Test {
  protected:
    embedded_broker broker{fast_config()};
    zmq::context_t ctx;
    test_peer client{ctx, broker.endpoint()};
    test_peer worker{ctx, broker.endpoint()};
    void SetUp() override {
        client.hello_client();
        worker.hello_worker({"add", "sum"}, 1, 0, "w");
        worker.send(proto::ready{1});
        client.inspect("workers");  // the worker is registered before anything is submitted
    }
    // The one task dispatched next.
    proto::dispatched_task next_task() {
        const auto d = worker.expect<proto::dispatch>();
        EXPECT_EQ(d.tasks.size(), 1u);
        return d.tasks.at(0);
    }
    void finish(const proto::dispatched_task& t, proto::task_status status, std::string payload,
                proto::error_info error = {}) {
        proto::done d;
        d.finished.push_back(
            {proto::outcome{t.id, status, std::move(payload), std::move(error)}, t.attempt, {}});
        d.credit = 1;
        worker.send(d);
    }
    proto::outcome result_of(std::uint32_t n) {
        const auto f = client.fetch({id_of(n)});
        EXPECT_EQ(f.entries.at(0).state, proto::result_state::done);
        return f.entries.at(0).result.value_or(proto::outcome{});
    }
};

TEST_F(BrokerDataflow, AnInputsResultTakesItsPlaceInTheDependentsArguments) {
    // 2: add(<result of 1>, 5)
    const auto a = client.submit({task(1), dependent(2, "\x92\xc0\x05", {one(0, 1)})});
    ASSERT_EQ(a.ids.size(), 2u);
    const auto t1 = next_task();
    EXPECT_EQ(t1.id, id_of(1));
    finish(t1, proto::task_status::ok, "\x03");
    const auto t2 = next_task();
    EXPECT_EQ(t2.id, id_of(2));
    EXPECT_EQ(t2.payload, "\x92\x03\x05");
    finish(t2, proto::task_status::ok, "\x08");
    const auto r = client.results(2);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[1].id, id_of(2));
    EXPECT_EQ(r[1].payload, "\x08");
}

TEST_F(BrokerDataflow, ADependentWaitsInNoQueueAndTakesNoCredit) {
    client.submit({task(1), dependent(2, "\x91\xc0", {one(0, 1)}), task(3)});
    const auto t1 = next_task();
    EXPECT_EQ(t1.id, id_of(1));
    // One slot, one task: 3 waits in its queue, 2 waits for 1 outside it.
    EXPECT_EQ(int_field(client.inspect("queues").rows.at(0), "length"), 1);
    finish(t1, proto::task_status::ok, "\x07");
    EXPECT_EQ(next_task().id, id_of(3));  // queued before 2 was ready
}

TEST_F(BrokerDataflow, AListInputGathersItsResultsInTheOrderListed) {
    proto::task_input all{0, {id_of(1), id_of(2), id_of(3)}, true};
    client.submit({task(1), task(2), task(3), dependent(4, "\x92\xc0\x09", {all}, "sum")});
    const auto t1 = next_task();
    finish(t1, proto::task_status::ok, "\x0b");
    const auto t2 = next_task();
    finish(t2, proto::task_status::ok,
           "\xa1"
           "x");
    const auto t3 = next_task();
    finish(t3, proto::task_status::ok, "\x0d");
    const auto t4 = next_task();
    EXPECT_EQ(t4.id, id_of(4));
    EXPECT_EQ(t4.payload,
              "\x92\x93\x0b\xa1"
              "x\x0d\x09");
}

TEST_F(BrokerDataflow, TheSameInputMayFillSeveralArgumentsAndSeveralDependents) {
    client.submit({task(1), dependent(2, "\x92\xc0\xc0", {one(0, 1), one(1, 1)}),
                   dependent(3, "\x91\xc0", {one(0, 1)})});
    finish(next_task(), proto::task_status::ok, "\x04");
    const auto t2 = next_task();
    EXPECT_EQ(t2.payload, "\x92\x04\x04");
    finish(t2, proto::task_status::ok, "\x08");
    const auto t3 = next_task();
    EXPECT_EQ(t3.payload, "\x91\x04");
}

TEST_F(BrokerDataflow, AnInputDoneBeforeTheDependentArrivesIsGivenAtOnce) {
    client.submit({task(1)});
    finish(next_task(), proto::task_status::ok, "\x06");
    ASSERT_EQ(client.results(1).size(), 1u);
    client.submit({dependent(2, "\x91\xc0", {one(0, 1)})});
    const auto t2 = next_task();
    EXPECT_EQ(t2.payload, "\x91\x06");
}

TEST_F(BrokerDataflow, AFailedInputFailsItsDependentsDownTheChainNamingIt) {
    client.submit(
        {task(1), dependent(2, "\x91\xc0", {one(0, 1)}), dependent(3, "\x91\xc0", {one(0, 2)})});
    finish(next_task(), proto::task_status::failed, "",
           proto::error_info{"std::domain_error", "negative", "w"});
    const auto r = client.results(3);
    ASSERT_EQ(r.size(), 3u);
    const proto::outcome two = result_of(2);
    EXPECT_EQ(two.status, proto::task_status::failed);
    EXPECT_EQ(two.error.type, "shoal::input_failed");
    EXPECT_EQ(two.error.message,
              "input " + id_of(1).to_hex() + " failed: std::domain_error: negative");
    EXPECT_EQ(two.error.where, "w");
    // Further down, the error stays the one where the failure began.
    EXPECT_EQ(result_of(3).error, two.error);
    EXPECT_TRUE(worker.quiet_for(0.1));  // neither ever ran
}

TEST_F(BrokerDataflow, RevokingAnInputRevokesItsDependents) {
    client.submit({task(1), task(2), dependent(3, "\x91\xc0", {one(0, 2)})});
    const auto t1 = next_task();  // 1 runs; 2 waits in its queue
    client.send(proto::revoke{{id_of(2)}});
    const auto r = client.results(2);
    ASSERT_EQ(r.size(), 2u);
    const proto::outcome three = result_of(3);
    EXPECT_EQ(three.status, proto::task_status::revoked);
    EXPECT_NE(three.error.message.find("input " + id_of(2).to_hex() + " was revoked"),
              std::string::npos);
    finish(t1, proto::task_status::ok, "\x01");
    EXPECT_TRUE(worker.quiet_for(0.1));
}

TEST_F(BrokerDataflow, ARevokedDependentNeverRunsWhenItsInputsComeIn) {
    client.submit({task(1), dependent(2, "\x91\xc0", {one(0, 1)}), task(3)});
    const auto t1 = next_task();
    client.send(proto::revoke{{id_of(2)}});
    EXPECT_EQ(client.results(1).at(0).status, proto::task_status::revoked);
    finish(t1, proto::task_status::ok, "\x01");
    EXPECT_EQ(next_task().id, id_of(3));
    EXPECT_EQ(client.results(1).at(0).id, id_of(1));
    EXPECT_EQ(int_field(client.inspect("stats").rows.at(0), "waiting_for_inputs"), 0);
}

TEST_F(BrokerDataflow, AResultThatIsNotOneValueFailsTheDependentWithTheReason) {
    client.submit({task(1), dependent(2, "\x91\xc0", {one(0, 1)})});
    finish(next_task(), proto::task_status::ok, "\x92\x01");  // an array cut short
    client.results(2);
    const proto::outcome two = result_of(2);
    EXPECT_EQ(two.status, proto::task_status::failed);
    EXPECT_EQ(two.error.type, "shoal::input_failed");
    EXPECT_NE(two.error.message.find("do not fit its arguments"), std::string::npos);
}

TEST_F(BrokerDataflow, AChunkIsPassedOnToTheWorkerAndTakesNoInputs) {
    auto chunk = task(1, "add", "\x91\x92\x92\x01\x02\x92\x03\x04");  // [[[1, 2], [3, 4]]]
    chunk.options.chunk = true;
    auto with_inputs = dependent(3, "\x91\xc0", {one(0, 1)});
    with_inputs.options.chunk = true;
    const auto a = client.submit({chunk, with_inputs});
    ASSERT_EQ(a.ids, std::vector<proto::task_id>{id_of(1)});
    ASSERT_EQ(a.refused.size(), 1u);
    EXPECT_EQ(a.refused[0].error.type, "bad_task");
    EXPECT_NE(a.refused[0].error.message.find("a chunk takes no inputs"), std::string::npos);
    const auto t = next_task();
    EXPECT_EQ(t.options.chunk, true);
    EXPECT_EQ(t.payload, chunk.payload);
}

TEST_F(BrokerDataflow, WrongInputsAreRefusedWithTheReason) {
    const auto a = client.submit({
        task(1), dependent(2, "\x91\xc0", {one(0, 9)}),        // never submitted
        dependent(3, "\x91\xc0", {one(1, 1)}),                 // past the last argument
        dependent(4, "\x92\xc0\xc0", {one(0, 1), one(0, 1)}),  // one argument twice
        dependent(5, "\x91\xc0", {one(0, 5)}),                 // its own input
        dependent(6, "\xc0", {one(0, 1)}),                     // arguments not an array
    });
    ASSERT_EQ(a.ids.size(), 1u);
    ASSERT_EQ(a.refused.size(), 5u);
    for (const auto& r : a.refused) EXPECT_EQ(r.error.type, "bad_task");
    EXPECT_NE(a.refused[0].error.message.find("is not one this broker knows"), std::string::npos);
    EXPECT_NE(a.refused[1].error.message.find("argument 1 is past the last of 1"),
              std::string::npos);
    EXPECT_NE(a.refused[2].error.message.find("argument 0 is given twice"), std::string::npos);
    EXPECT_NE(a.refused[3].error.message.find("its own input"), std::string::npos);
    EXPECT_NE(a.refused[4].error.message.find("not a msgpack array"), std::string::npos);
}

TEST_F(BrokerDataflow, AnotherKeysTasksCannotBeInputsOnAnOpenBrokerAnyTaskCan) {
    // On an open broker every client may see every task: another client's task is an input.
    test_peer other(ctx, broker.endpoint());
    other.hello_client("other");
    other.submit({task(1)});
    finish(next_task(), proto::task_status::ok, "\x02");
    ASSERT_EQ(other.results(1).size(), 1u);
    client.submit({dependent(2, "\x91\xc0", {one(0, 1)})});
    EXPECT_EQ(next_task().payload, "\x91\x02");
}

TEST_F(BrokerDataflow, AChainOfTenThousandFailsStepByStepWithoutRecursion) {
    // Each link's failure fails the next: a cascade the broker walks as a loop.
    constexpr std::uint32_t links = 10'000;
    std::vector<proto::submitted_task> batch{task(1)};
    for (std::uint32_t i = 2; i <= links; ++i) {
        batch.push_back(dependent(i, "\x91\xc0", {one(0, i - 1)}));
    }
    const auto a = client.submit(std::move(batch));
    ASSERT_EQ(a.ids.size(), links);
    finish(next_task(), proto::task_status::failed, "", proto::error_info{"E", "m", "w"});
    const auto r = client.results(links, 60.0);
    ASSERT_EQ(r.size(), links);
    for (const auto& o : r) EXPECT_NE(o.status, proto::task_status::ok);
    const proto::outcome last = result_of(links);
    EXPECT_EQ(last.error.type, "shoal::input_failed");
    EXPECT_EQ(last.error.message, "input " + id_of(1).to_hex() + " failed: E: m");
}

TEST_F(BrokerDataflow, ResultsGatheredForAWaitingTaskCountAgainstTheQueuedBudget) {
    const auto queued_bytes = [&] {
        return int_field(client.inspect("stats").rows.at(0), "queued_bytes");
    };
    client.submit({task(1), task(2), dependent(3, "\x92\xc0\xc0", {one(0, 1), one(1, 2)})});
    const auto t1 = next_task();
    const std::int64_t before = queued_bytes();
    std::string big = "\xc6";  // bin32 of 100,000 bytes
    big += std::string("\x00\x01\x86\xa0", 4);
    big += std::string(100'000, 'r');
    finish(t1, proto::task_status::ok, big);
    ASSERT_EQ(client.results(1).size(), 1u);
    // 1 is done (its own charge gone); 3 keeps a copy of its result while it waits for 2.
    const std::int64_t waiting = queued_bytes();
    EXPECT_GE(waiting - before, 100'000 - 400) << before << " -> " << waiting;
    finish(next_task(), proto::task_status::ok, "\x02");
    const auto t3 = next_task();
    EXPECT_EQ(t3.payload.size(), 1 + big.size() + 1);
    ASSERT_EQ(client.results(1).size(), 1u);
    // Released: the copy became its arguments, counted once.
    EXPECT_NEAR(static_cast<double>(queued_bytes()), static_cast<double>(waiting), 1'000.0);
}

TEST_F(BrokerDataflow, AnExpiredDependentEndsWhileItWaits) {
    auto d = dependent(2, "\x91\xc0", {one(0, 1)});
    d.options.expires_ms =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count()) +
        300;
    client.submit({task(1), d});
    const auto t1 = next_task();
    const auto r = client.results(1, 30.0);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].id, id_of(2));
    EXPECT_EQ(r[0].status, proto::task_status::expired);
    finish(t1, proto::task_status::ok, "\x01");
    EXPECT_TRUE(worker.quiet_for(0.1));
}

}  // namespace
