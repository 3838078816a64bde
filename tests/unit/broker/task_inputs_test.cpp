// task_inputs: the slots of waiting tasks, filled once each through the index by input, and
// the arguments with the results in place.

#include "task_inputs.hpp"

#include <gtest/gtest.h>

#include "shoal/proto/bounded_unpack.hpp"
#include "task_ids.hpp"

namespace {

using namespace shoal::broker;
using shoal::testing::id_of;
namespace proto = shoal::proto;

waiting_task waiting(std::uint32_t id, std::vector<proto::task_input> inputs) {
    waiting_task t;
    t.task.id = id_of(id);
    t.admit.inputs = std::make_shared<const std::vector<proto::task_input>>(std::move(inputs));
    return t;
}

TEST(TaskInputs, EachSlotIsFilledOnceAndTheLastMakesTheTaskReady) {
    task_inputs table;
    table.wait(waiting(10, {{0, {id_of(1)}, false}, {1, {id_of(2), id_of(1)}, true}}));
    EXPECT_TRUE(table.has_dependents(id_of(1)));
    EXPECT_FALSE(table.has_dependents(id_of(3)));
    waiting_task* t = table.find(id_of(10));
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->missing, 3u);
    const auto ones = table.take_slots(id_of(1));
    ASSERT_EQ(ones.size(), 2u);  // slot 0, and slot 2 of the list
    EXPECT_FALSE(table.has_dependents(id_of(1)));
    EXPECT_FALSE(table.deliver(*t, ones[0].slot, "\x01"));
    EXPECT_FALSE(table.deliver(*t, ones[0].slot, "\x09"));  // a slot takes one result
    EXPECT_FALSE(table.deliver(*t, ones[1].slot, "\x01"));
    const auto twos = table.take_slots(id_of(2));
    ASSERT_EQ(twos.size(), 1u);
    EXPECT_TRUE(table.deliver(*t, twos[0].slot,
                              "\xa1"
                              "b"));
    EXPECT_EQ(task_inputs::arguments_of(*t, "\x93\xc0\xc0\x07"),
              "\x93\x01\x92\xa1"
              "b\x01\x07");
    EXPECT_TRUE(table.take(id_of(10)).has_value());
    EXPECT_TRUE(table.empty());
}

TEST(TaskInputs, AnInputOnlyWaitedForTakesNoArgument) {
    task_inputs table;
    table.wait(
        waiting(10, {{proto::task_input::no_argument, {id_of(1)}, false}, {0, {id_of(2)}, false}}));
    waiting_task* t = table.find(id_of(10));
    for (const auto& s : table.take_slots(id_of(1))) table.deliver(*t, s.slot, "\x05");
    bool ready = false;
    for (const auto& s : table.take_slots(id_of(2))) ready = table.deliver(*t, s.slot, "\x06");
    EXPECT_TRUE(ready);
    EXPECT_EQ(task_inputs::arguments_of(*t, "\x91\xc0"), "\x91\x06");
}

TEST(TaskInputs, AResultThatDoesNotFitIsADecodeError) {
    task_inputs table;
    table.wait(waiting(10, {{3, {id_of(1)}, false}}));
    waiting_task* t = table.find(id_of(10));
    for (const auto& s : table.take_slots(id_of(1))) table.deliver(*t, s.slot, "\x05");
    const auto splice = [&] { return task_inputs::arguments_of(*t, "\x91\xc0"); };
    EXPECT_THROW(splice(), proto::decode_error);
    table.forget(id_of(10));
    EXPECT_EQ(table.find(id_of(10)), nullptr);
}

}  // namespace
