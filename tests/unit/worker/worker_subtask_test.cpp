// Subtasks: a loop task submits a task through the worker's own client and awaits it without
// holding its slot. The broker is played by the test (both peers, the worker and its client,
// reach the same ROUTER): with one slot and no prefetch, the child can only run on this
// worker because the parent gave its slot and one credit back while it waited.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "fake_broker.hpp"
#include "shoal/common/gather.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/worker/subtask.hpp"
#include "shoal/worker/worker_context.hpp"

namespace {

using namespace shoal::testing;
using shoal::proto::command;
using shoal::proto::task_status;
namespace run_on = shoal::run_on;
namespace proto = shoal::proto;

constexpr shoal::task_def<long(long)> child{"child"};
constexpr shoal::task_def<long(long)> parent{"parent"};
constexpr shoal::task_def<std::string()> whoami{"whoami"};
constexpr shoal::task_def<long(long)> fan_out{"fan_out"};

void define_tasks(shoal::task_registry& r) {
    r.define(
        child, [](long x) -> shoal::task<long> { co_return x * 10; }, run_on::loop);
    r.define(
        parent,
        [](long x) -> shoal::task<long> {
            const long from_child = co_await shoal::subtask(child, x);
            co_return from_child + 1;
        },
        run_on::loop);
    // The fan-out of issue 12: the subtasks awaited inside gather, not directly.
    r.define(
        fan_out,
        [](long x) -> shoal::task<long> {
            auto [a, b] =
                co_await shoal::gather(shoal::subtask(child, x), shoal::subtask(child, x + 1));
            co_return a + b;
        },
        run_on::loop);
    r.define(
        whoami,
        []() -> shoal::task<std::string> {
            co_return shoal::worker_context::current().worker_name();
        },
        run_on::loop);
}

TEST(WorkerSubtask, ALoopTaskKnowsItsWorker) {
    fake_broker broker;
    worker_thread w(test_options(broker, 1, 0), define_tasks);
    ASSERT_TRUE(broker.handshake());
    ASSERT_TRUE(broker.expect<proto::ready>());
    auto t = make_task("whoami");
    broker.send(dispatch_of({t}));
    auto got = collect(broker, 1);
    ASSERT_EQ(got.by_id.size(), 1u);
    EXPECT_EQ(result_of<std::string>(got.by_id[t.id]), "test-worker");
}

TEST(WorkerSubtask, AParentAwaitsItsChildWithoutHoldingItsSlot) {
    fake_broker broker;
    worker_thread w(test_options(broker, 1, 0), define_tasks);
    auto hello = broker.handshake();
    ASSERT_TRUE(hello);
    auto ready = broker.expect<proto::ready>();
    ASSERT_TRUE(ready);
    ASSERT_EQ(ready->credit, 1u);
    std::uint64_t credit = 0;  // spent on the parent below
    auto p = make_task("parent", 4L);
    broker.send(dispatch_of({p}));

    // Play the broker for both peers until the parent's result arrives.
    std::string client_identity;
    std::optional<proto::submitted_task> submitted;
    std::optional<proto::finished_task> child_result;
    std::optional<proto::finished_task> parent_result;
    bool child_dispatched = false;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!parent_result && std::chrono::steady_clock::now() < until) {
        auto m = broker.next(1.0);
        if (!m) continue;
        switch (m->cmd) {
            case command::hello: {  // the worker's client, made by the parent's subtask()
                const auto h = proto::decode<proto::hello>(m->body);
                EXPECT_EQ(h.role, proto::peer_role::client);
                client_identity = m->identity;
                broker.send_to(client_identity, proto::welcome{});
                break;
            }
            case command::submit: {
                const auto s = proto::decode<proto::submit>(m->body);
                ASSERT_EQ(s.tasks.size(), 1u);
                EXPECT_EQ(s.tasks[0].name, "child");
                submitted = s.tasks[0];
                broker.send_to(m->identity, proto::accepted{{submitted->id}, {}});
                break;
            }
            case command::ready:
                credit += proto::decode<proto::ready>(m->body).credit;
                break;
            case command::done: {
                const auto d = proto::decode<proto::done>(m->body);
                credit += d.credit;
                for (const auto& f : d.finished) {
                    if (submitted && f.result.id == submitted->id) {
                        child_result = f;
                        broker.send_to(client_identity, proto::result{{f.result}});
                    } else if (f.result.id == p.id) {
                        parent_result = f;
                    }
                }
                break;
            }
            default:
                break;
        }
        // Dispatch the child once it is submitted and the worker has credit for it: it only
        // gets that credit because the parent gave its slot back.
        if (submitted && !child_dispatched && credit > 0) {
            proto::dispatched_task t;
            t.id = submitted->id;
            t.name = submitted->name;
            t.payload = submitted->payload;
            broker.send(dispatch_of({t}));
            --credit;
            child_dispatched = true;
        }
    }
    ASSERT_TRUE(child_dispatched) << "the parent never gave its credit back";
    ASSERT_TRUE(child_result);
    EXPECT_EQ(result_of<long>(*child_result), 40);
    ASSERT_TRUE(parent_result);
    EXPECT_EQ(parent_result->result.status, task_status::ok);
    EXPECT_EQ(result_of<long>(*parent_result), 41);
}

// A one-slot, no-prefetch worker runs a parent that gathers two subtasks: the children can
// only run there if the parent gave its slot (one credit) back while it waits inside gather.
// At the end the broker holds exactly the worker's capacity in credit: one credit went back
// when the parent began to wait, and one slot was taken again when both children were in.
TEST(WorkerSubtask, AParentGatheringSubtasksGivesItsSlotBackOnceAndCreditStaysExact) {
    fake_broker broker;
    worker_thread w(test_options(broker, 1, 0), define_tasks);
    ASSERT_TRUE(broker.handshake());
    auto ready = broker.expect<proto::ready>();
    ASSERT_TRUE(ready);
    ASSERT_EQ(ready->credit, 1u);
    std::int64_t credit = ready->credit;  // what the broker may still dispatch
    auto p = make_task("fan_out", 4L);
    broker.send(dispatch_of({p}));
    --credit;

    std::string client_identity;
    std::vector<proto::submitted_task> submitted;  // not dispatched yet
    std::map<std::string, long> children_done;
    std::optional<proto::finished_task> parent_result;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!parent_result && std::chrono::steady_clock::now() < until) {
        auto m = broker.next(1.0);
        if (!m) continue;
        switch (m->cmd) {
            case command::hello:
                client_identity = m->identity;
                broker.send_to(client_identity, proto::welcome{});
                break;
            case command::submit: {
                const auto s = proto::decode<proto::submit>(m->body);
                std::vector<proto::task_id> ids;
                for (const auto& t : s.tasks) {
                    submitted.push_back(t);
                    ids.push_back(t.id);
                }
                broker.send_to(m->identity, proto::accepted{ids, {}});
                break;
            }
            case command::ready:
                credit += proto::decode<proto::ready>(m->body).credit;
                break;
            case command::done: {
                const auto d = proto::decode<proto::done>(m->body);
                credit += d.credit;
                for (const auto& f : d.finished) {
                    if (f.result.id == p.id) {
                        parent_result = f;
                    } else {
                        children_done[f.result.id.to_hex()] = result_of<long>(f);
                        broker.send_to(client_identity, proto::result{{f.result}});
                    }
                }
                break;
            }
            default:
                break;
        }
        while (!submitted.empty() && credit > 0) {
            proto::dispatched_task t;
            t.id = submitted.front().id;
            t.name = submitted.front().name;
            t.payload = submitted.front().payload;
            submitted.erase(submitted.begin());
            broker.send(dispatch_of({t}));
            --credit;
        }
    }
    ASSERT_EQ(children_done.size(), 2u) << "the parent kept its slot while it waited inside gather";
    ASSERT_TRUE(parent_result);
    EXPECT_EQ(parent_result->result.status, task_status::ok);
    EXPECT_EQ(result_of<long>(*parent_result), 40 + 50);
    // Everything reported: the broker holds the worker's whole capacity (1) as credit, no more.
    EXPECT_EQ(credit, 1);
}

TEST(WorkerSubtask, WithoutSlotOutsideAWorkerJustAwaits) {
    shoal::event_loop loop;
    auto f = loop.create_future<int>();
    loop.call_soon([f]() mutable { f.set_result(7); });
    EXPECT_EQ(loop.run_until_complete(shoal::without_slot(f)), 7);
    loop.close();
}

}  // namespace
