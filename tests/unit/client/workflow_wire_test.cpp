// What the client sends for a workflow (PROTOCOL.md section 6.5), read by a fake broker: each
// future argument is a nil with an input naming its task, a chain links each step to the one
// before, a chord's callback takes the list of its header, all in one batch in order. And what
// must not compile does not: the checks are concepts, so they are asserted here.

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_broker.hpp"
#include "shoal/client/client.hpp"

namespace {

using namespace shoal;
using shoal::testing::fake_broker;
using shoal::testing::quick_options;

inline constexpr task_def<long(long, long)> add{"add"};
inline constexpr task_def<long(std::vector<long>)> total{"total"};
inline constexpr task_def<std::string(long)> show{"show"};
inline constexpr task_def<long(std::string)> length{"length"};

// Compile-time: which arguments fit which parameters.
template <class Def, class... Given>
concept submittable = requires(client& c, const Def& def, const Given&... given) {
    c.submit(def, given...);
};
static_assert(submittable<task_def<long(long, long)>, remote_future<long>, remote_future<long>>);
static_assert(submittable<task_def<long(long, long)>, remote_future<int>, long>);  // integers
static_assert(!submittable<task_def<long(long, long)>, remote_future<std::string>, long>);
static_assert(!submittable<task_def<long(long, long)>, remote_future<double>, long>);
static_assert(submittable<task_def<long(std::vector<long>)>, remote_group<long>>);
static_assert(!submittable<task_def<long(std::vector<long>)>, remote_group<std::string>>);
static_assert(!submittable<task_def<long(std::vector<long>)>, remote_future<long>>);

template <class... Steps>
concept chainable = requires(const Steps&... steps) {
    shoal::chain(steps...);
};
static_assert(chainable<decltype(add.s(1, 2)), decltype(add.s(3))>);
static_assert(chainable<decltype(add.s(1, 2)), decltype(show.s())>);
static_assert(chainable<decltype(add.s(1, 2)), decltype(length.si("x"))>);  // si: takes nothing

std::vector<proto::submitted_task> tasks_sent(fake_broker& broker, std::size_t count) {
    std::vector<proto::submitted_task> out;
    for (auto& s : broker.expect_items<proto::submit>(
             count, [](const proto::submit& m) { return m.tasks.size(); })) {
        for (auto& t : s.tasks) out.push_back(std::move(t));
    }
    return out;
}

TEST(WorkflowWire, AFutureArgumentIsANilAndAnInputNamingItsTask) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    broker.handshake();
    auto a = c.submit(add, 1, 2);
    auto b = c.submit(add, a, 5L);
    const auto sent = tasks_sent(broker, 2);
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[1].id, b.id());
    EXPECT_EQ(sent[1].payload, "\x92\xc0\x05");
    ASSERT_EQ(sent[1].options.inputs.size(), 1u);
    EXPECT_EQ(sent[1].options.inputs[0], (proto::task_input{0, {a.id()}, false}));
}

TEST(WorkflowWire, AChainLinksEachStepToTheOneBeforeInOneBatch) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    broker.handshake();
    auto r = c.submit(
        shoal::chain(add.s(1, 2), add.s(10).set({.queue = "fast"}), show.s(), length.si("abc")));
    const auto sent = tasks_sent(broker, 4);
    ASSERT_EQ(sent.size(), 4u);
    EXPECT_TRUE(sent[0].options.inputs.empty());
    EXPECT_EQ(sent[0].payload, "\x92\x01\x02");
    EXPECT_EQ(sent[1].payload, "\x92\xc0\x0a");
    EXPECT_EQ(sent[1].queue, "fast");
    EXPECT_EQ(sent[1].options.inputs.at(0), (proto::task_input{0, {sent[0].id}, false}));
    EXPECT_EQ(sent[2].payload, "\x91\xc0");
    EXPECT_EQ(sent[2].options.inputs.at(0), (proto::task_input{0, {sent[1].id}, false}));
    // si: every argument bound, the previous step only waited for.
    EXPECT_EQ(sent[3].payload,
              "\x91\xa3"
              "abc");
    EXPECT_EQ(sent[3].options.inputs.at(0).index, proto::task_input::no_argument);
    EXPECT_EQ(sent[3].options.inputs.at(0).ids, std::vector<proto::task_id>{sent[2].id});
    EXPECT_EQ(sent[3].id, r.id());
}

TEST(WorkflowWire, AChordsCallbackTakesTheListOfItsHeaderAndTooLargeAChordIsRefused) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    broker.handshake();
    auto cb =
        c.submit(shoal::chord(shoal::group(add.s(1, 1), add.s(2, 2), add.s(3, 3)), total.s()));
    const auto sent = tasks_sent(broker, 4);
    ASSERT_EQ(sent.size(), 4u);
    EXPECT_EQ(sent[3].id, cb.id());
    EXPECT_EQ(sent[3].payload, "\x91\xc0");
    EXPECT_EQ(sent[3].options.inputs.at(0),
              (proto::task_input{0, {sent[0].id, sent[1].id, sent[2].id}, true}));
    std::vector<task_signature<long, void>> many(proto::max_input_ids + 1, add.s(1, 1));
    EXPECT_THROW(c.submit(shoal::chord(shoal::group(many), total.s())), invalid_submit_error);
}

TEST(WorkflowWire, AGroupIsItsTasksAndItsFuturesGatherInOrder) {
    fake_broker broker;
    broker.serve();
    client c(broker.endpoint(), quick_options());
    auto g = c.submit(shoal::group(add.s(1, 2), add.s(3, 4)));
    EXPECT_EQ(g.size(), 2u);
    EXPECT_EQ(g.get(10.0), (std::vector<long>{3, 7}));
    EXPECT_TRUE(g.done());
}

}  // namespace
