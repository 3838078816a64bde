// A worker runs each task on its place and reports every outcome: ok with the packed result,
// failed with the exception's type name, argument_error, unknown_task, and bad DISPATCH
// entries answered rather than lost.
#include <stdexcept>

#include <msgpack.hpp>

#include "fake_broker.hpp"
#include "shoal/common/sleep.hpp"

namespace {

using namespace shoal::testing;
using shoal::proto::task_status;
namespace run_on = shoal::run_on;

constexpr shoal::task_def<int(int, int)> add{"add"};
constexpr shoal::task_def<double(double)> nap{"nap"};
constexpr shoal::task_def<long(long)> square{"square"};
constexpr shoal::task_def<void(std::string)> boom{"boom"};
constexpr shoal::task_def<void(std::string)> boom_later{"boom_later"};
constexpr shoal::task_def<long(long)> boom_in_child{"boom_in_child"};

void define_tasks(shoal::task_registry& r) {
    r.define(
        add, [](int a, int b) { return a + b; }, run_on::thread_pool);
    r.define(
        nap,
        [](double s) -> shoal::task<double> {
            co_await shoal::sleep(s);
            co_return s;
        },
        run_on::loop);
    r.define(
        square, [](long x) { return x * x; }, run_on::process_pool);
    r.define(
        boom, [](std::string m) { throw std::invalid_argument(m); }, run_on::thread_pool);
    r.define(
        boom_later,
        [](std::string m) -> shoal::task<void> {
            co_await shoal::sleep(0);
            throw std::out_of_range(m);
        },
        run_on::loop);
    r.define(
        boom_in_child, [](long) -> long { throw std::domain_error("in the child"); },
        run_on::process_pool);
}

class WorkerTasksTest : public ::testing::Test {
  protected:
    void start() {
        worker_ = std::make_unique<worker_thread>(test_options(broker_, 4, 4), define_tasks);
        ASSERT_TRUE(broker_.handshake());
        ASSERT_TRUE(broker_.expect<shoal::proto::ready>());
    }

    fake_broker broker_;
    std::unique_ptr<worker_thread> worker_;
};

TEST_F(WorkerTasksTest, RunsTasksOnTheLoopTheThreadPoolAndTheProcessPool) {
    start();
    auto a = make_task("add", 2, 3);
    auto n = make_task("nap", 0.01);
    auto s = make_task("square", 7L);
    s.attempt = 3;
    broker_.send(dispatch_of({a, n, s}));
    auto got = collect(broker_, 3);
    ASSERT_EQ(got.by_id.size(), 3u);
    EXPECT_EQ(got.by_id[a.id].result.status, task_status::ok);
    EXPECT_EQ(result_of<int>(got.by_id[a.id]), 5);
    EXPECT_DOUBLE_EQ(result_of<double>(got.by_id[n.id]), 0.01);
    EXPECT_EQ(result_of<long>(got.by_id[s.id]), 49);
    // Each outcome carries the attempt it was dispatched with.
    EXPECT_EQ(got.by_id[s.id].attempt, 3u);
    EXPECT_EQ(got.by_id[a.id].attempt, 1u);
}

TEST_F(WorkerTasksTest, AnExceptionBecomesFailedWithItsTypeNameMessageAndWorker) {
    start();
    auto thread_task = make_task("boom", std::string("bad input"));
    auto loop_task = make_task("boom_later", std::string("too far"));
    auto child_task = make_task("boom_in_child", 1L);
    broker_.send(dispatch_of({thread_task, loop_task, child_task}));
    auto got = collect(broker_, 3);
    ASSERT_EQ(got.by_id.size(), 3u);
    const auto& t = got.by_id[thread_task.id].result;
    EXPECT_EQ(t.status, task_status::failed);
    EXPECT_EQ(t.error.type, "std::invalid_argument");
    EXPECT_EQ(t.error.message, "bad input");
    EXPECT_EQ(t.error.where, "test-worker");
    EXPECT_EQ(got.by_id[loop_task.id].result.error.type, "std::out_of_range");
    EXPECT_EQ(got.by_id[loop_task.id].result.error.message, "too far");
    EXPECT_EQ(got.by_id[child_task.id].result.error.type, "std::domain_error");
    EXPECT_EQ(got.by_id[child_task.id].result.error.message, "in the child");
}

TEST_F(WorkerTasksTest, ArgumentsOfTheWrongTypeFailWithArgumentErrorOnEveryPlace) {
    start();
    auto on_thread = make_task("add", std::string("two"), 3);
    auto on_loop = make_task("nap", std::string("long"));
    auto on_child = make_task("square", 1L, 2L);  // wrong arity
    broker_.send(dispatch_of({on_thread, on_loop, on_child}));
    auto got = collect(broker_, 3);
    ASSERT_EQ(got.by_id.size(), 3u);
    for (const auto& id : {on_thread.id, on_loop.id, on_child.id}) {
        EXPECT_EQ(got.by_id[id].result.status, task_status::failed);
        EXPECT_EQ(got.by_id[id].result.error.type, "shoal::argument_error");
    }
}

TEST_F(WorkerTasksTest, ATaskNameTheWorkerDoesNotHaveIsUnknownTask) {
    start();
    auto t = make_task("no_such_task", 1);
    broker_.send(dispatch_of({t}));
    auto got = collect(broker_, 1);
    ASSERT_EQ(got.by_id.size(), 1u);
    EXPECT_EQ(got.by_id[t.id].result.status, task_status::unknown_task);
    EXPECT_EQ(got.by_id[t.id].result.error.where, "test-worker");
}

TEST_F(WorkerTasksTest, GarbageDispatchIsDroppedAndTheWorkerGoesOn) {
    start();
    broker_.send_raw(shoal::proto::command::dispatch, "\xc1 not msgpack");
    broker_.send_raw(shoal::proto::command::dispatch, std::string("\x91\x91\x05", 3));  // [[5]]
    auto t = make_task("add", 1, 1);
    broker_.send(dispatch_of({t}));
    auto got = collect(broker_, 1);
    ASSERT_EQ(got.by_id.size(), 1u);
    EXPECT_EQ(result_of<int>(got.by_id[t.id]), 2);
}

TEST_F(WorkerTasksTest, AMalformedEntryIsReportedFailedAndItsNeighboursRun) {
    start();
    auto good = make_task("add", 20, 22);
    auto bad_id = shoal::proto::task_id::random();
    // [[good], [id, 42 (a name that is not a string), payload, 2, {}]]
    msgpack::sbuffer body;
    msgpack::packer<msgpack::sbuffer> p(body);
    p.pack_array(1);
    p.pack_array(2);
    p.pack_array(5);
    p.pack_bin(16);
    p.pack_bin_body(reinterpret_cast<const char*>(good.id.bytes.data()), 16);
    p.pack(good.name);
    p.pack_bin(static_cast<std::uint32_t>(good.payload.size()));
    p.pack_bin_body(good.payload.data(), static_cast<std::uint32_t>(good.payload.size()));
    p.pack(1);
    p.pack_map(0);
    p.pack_array(5);
    p.pack_bin(16);
    p.pack_bin_body(reinterpret_cast<const char*>(bad_id.bytes.data()), 16);
    p.pack(42);
    p.pack_bin(0);
    p.pack(2);
    p.pack_map(0);
    broker_.send_raw(shoal::proto::command::dispatch, std::string_view(body.data(), body.size()));
    auto got = collect(broker_, 2);
    ASSERT_EQ(got.by_id.size(), 2u);
    EXPECT_EQ(result_of<int>(got.by_id[good.id]), 42);
    EXPECT_EQ(got.by_id[bad_id].result.status, task_status::failed);
    EXPECT_EQ(got.by_id[bad_id].result.error.type, "shoal::bad_task");
    EXPECT_EQ(got.by_id[bad_id].attempt, 2u);
}

// A chunk (PROTOCOL.md 5.2, `chunk`): the one argument lists the calls, the result lists
// their results; on each place, and failed by its first failing call.
shoal::proto::dispatched_task chunk_of(shoal::proto::dispatched_task t) {
    t.options.chunk = true;
    return t;
}

TEST_F(WorkerTasksTest, AChunkMakesItsCallsInOrderOnEachPlaceAndListsTheResults) {
    start();
    auto a = chunk_of(make_task("add", std::vector<std::vector<int>>{{2, 3}, {4, 5}, {6, 7}}));
    auto n = chunk_of(make_task("nap", std::vector<std::vector<double>>{{0.01}, {0.02}}));
    auto s = chunk_of(make_task("square", std::vector<std::vector<long>>{{7}, {8}, {9}}));
    auto none = chunk_of(make_task("square", std::vector<std::vector<long>>{}));
    broker_.send(dispatch_of({a, n, s, none}));
    auto got = collect(broker_, 4);
    ASSERT_EQ(got.by_id.size(), 4u);
    for (const auto& id : {a.id, n.id, s.id, none.id}) {
        ASSERT_EQ(got.by_id[id].result.status, task_status::ok)
            << got.by_id[id].result.error.type << ": " << got.by_id[id].result.error.message;
    }
    EXPECT_EQ(result_of<std::vector<int>>(got.by_id[a.id]), (std::vector<int>{5, 9, 13}));
    EXPECT_EQ(result_of<std::vector<double>>(got.by_id[n.id]), (std::vector<double>{0.01, 0.02}));
    EXPECT_EQ(result_of<std::vector<long>>(got.by_id[s.id]), (std::vector<long>{49, 64, 81}));
    EXPECT_TRUE(result_of<std::vector<long>>(got.by_id[none.id]).empty());
}

TEST_F(WorkerTasksTest, AChunkFailsWithItsFirstFailingCallOrABadArgumentList) {
    start();
    auto failing = chunk_of(make_task("boom_in_child", std::vector<std::vector<long>>{{1}, {2}}));
    auto not_a_list = chunk_of(make_task("add", 2, 3));
    auto bad_call = chunk_of(make_task("add", std::vector<long>{1, 2}));
    auto wrong_types = chunk_of(make_task("add", std::vector<std::vector<std::string>>{{"x"}}));
    broker_.send(dispatch_of({failing, not_a_list, bad_call, wrong_types}));
    auto got = collect(broker_, 4);
    ASSERT_EQ(got.by_id.size(), 4u);
    EXPECT_EQ(got.by_id[failing.id].result.error.type, "std::domain_error");
    for (const auto& id : {not_a_list.id, bad_call.id, wrong_types.id}) {
        EXPECT_EQ(got.by_id[id].result.status, task_status::failed);
        EXPECT_EQ(got.by_id[id].result.error.type, "shoal::argument_error");
    }
    EXPECT_NE(got.by_id[not_a_list.id].result.error.message.find("chunk of 'add'"),
              std::string::npos)
        << got.by_id[not_a_list.id].result.error.message;
    EXPECT_NE(got.by_id[bad_call.id].result.error.message.find("call 1"), std::string::npos)
        << got.by_id[bad_call.id].result.error.message;
}

}  // namespace
