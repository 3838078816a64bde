// task_registry: typed definitions on each place, the entries they make, and the errors.
#include "shoal/worker/task_registry.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "shoal/common/detail/msgpack_codec.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/sleep.hpp"

namespace {

using shoal::task_registry;
namespace run_on = shoal::run_on;

constexpr shoal::task_def<int(int, int)> add{"add"};
constexpr shoal::task_def<std::string(const std::string&)> shout{"shout"};
constexpr shoal::task_def<long(long)> square{"square"};
constexpr shoal::task_def<void()> nothing{"nothing"};

shoal::task<std::string> shout_later(const std::string& text) {
    co_await shoal::sleep(0);
    co_return text + "!";
}

TEST(TaskRegistry, DefinesOnEachPlaceAndFindsByName) {
    task_registry registry;
    registry.define(
        add, [](int a, int b) { return a + b; }, run_on::thread_pool);
    registry.define(shout, shout_later, run_on::loop);
    registry.define(
        square, [](long x) { return x * x; }, run_on::process_pool);

    ASSERT_NE(registry.find("add"), nullptr);
    EXPECT_EQ(registry.find("add")->place, shoal::execution_place::thread_pool);
    EXPECT_EQ(registry.find("shout")->place, shoal::execution_place::loop);
    EXPECT_EQ(registry.find("square")->place, shoal::execution_place::process_pool);
    EXPECT_EQ(registry.find("missing"), nullptr);
    EXPECT_EQ(registry.names(), (std::vector<std::string>{"add", "shout", "square"}));
    EXPECT_TRUE(registry.uses(shoal::execution_place::loop));
    // Process-pool functions land where the pool will look for them.
    EXPECT_TRUE(registry.process_functions().contains("square"));
    EXPECT_FALSE(registry.process_functions().contains("add"));
}

TEST(TaskRegistry, WithoutAPlaceCoroutinesGoToTheLoopAndFunctionsToTheThreadPool) {
    task_registry registry;
    registry.define(add, [](int a, int b) { return a + b; });
    registry.define(shout, shout_later);
    EXPECT_EQ(registry.find("add")->place, shoal::execution_place::thread_pool);
    EXPECT_EQ(registry.find("shout")->place, shoal::execution_place::loop);
    EXPECT_FALSE(registry.uses(shoal::execution_place::process_pool));
}

TEST(TaskRegistry, AThreadPoolEntryCallsTheFunctionWithMsgpackArguments) {
    task_registry registry;
    registry.define(
        add, [](int a, int b) { return a + b; }, run_on::thread_pool);
    const auto& call = *registry.find("add")->call;
    EXPECT_EQ(shoal::detail::unpack_result<int>(call(shoal::detail::pack_arguments(2, 3))), 5);
}

TEST(TaskRegistry, ALoopEntryMakesACoroutineThatUnpacksAndPacks) {
    task_registry registry;
    registry.define(shout, shout_later, run_on::loop);
    shoal::event_loop loop;
    // The argument is taken by reference: it must live in the coroutine frame across the await.
    const std::string packed = loop.run_until_complete(
        registry.find("shout")->make_coroutine(shoal::detail::pack_arguments(std::string("hey"))));
    EXPECT_EQ(shoal::detail::unpack_result<std::string>(packed), "hey!");
    loop.close();
}

TEST(TaskRegistry, AVoidLoopTaskReturnsNil) {
    task_registry registry;
    registry.define(
        nothing, []() -> shoal::task<void> { co_return; }, run_on::loop);
    shoal::event_loop loop;
    const std::string packed = loop.run_until_complete(
        registry.find("nothing")->make_coroutine(shoal::detail::pack_arguments()));
    EXPECT_EQ(packed, shoal::detail::pack_nil());
    loop.close();
}

TEST(TaskRegistry, WrongArgumentsFailWithArgumentError) {
    task_registry registry;
    registry.define(
        add, [](int a, int b) { return a + b; }, run_on::thread_pool);
    registry.define(shout, shout_later, run_on::loop);
    try {
        (*registry.find("add")->call)(shoal::detail::pack_arguments(std::string("two"), 3));
        FAIL() << "no exception";
    } catch (const shoal::task_error& e) {
        EXPECT_EQ(e.type(), "shoal::argument_error");
    }
    shoal::event_loop loop;
    try {
        loop.run_until_complete(
            registry.find("shout")->make_coroutine(shoal::detail::pack_arguments(1, 2)));
        FAIL() << "no exception";
    } catch (const shoal::task_error& e) {
        EXPECT_EQ(e.type(), "shoal::argument_error");
    }
    loop.close();
}

TEST(TaskRegistry, ANameIsDefinedOnce) {
    task_registry registry;
    registry.define(
        add, [](int a, int b) { return a + b; }, run_on::thread_pool);
    EXPECT_THROW(registry.define(
                     add, [](int a, int b) { return a - b; }, run_on::process_pool),
                 shoal::duplicate_function_error);
    EXPECT_EQ(registry.size(), 1u);
    EXPECT_FALSE(registry.process_functions().contains("add"));
}

TEST(TaskRegistry, NamesTheProtocolCannotCarryAreRefused) {
    task_registry registry;
    EXPECT_THROW(registry.define(
                     shoal::task_def<int()>{""}, [] { return 1; }, run_on::thread_pool),
                 std::invalid_argument);
    static const std::string long_name(256, 'x');
    EXPECT_THROW(
        registry.define(
            shoal::task_def<int()>{long_name.c_str()}, [] { return 1; }, run_on::thread_pool),
        std::invalid_argument);
}

TEST(TaskRegistry, AFrozenRegistryRefusesDefinitions) {
    task_registry registry;
    registry.freeze();
    EXPECT_TRUE(registry.frozen());
    EXPECT_THROW(registry.define(
                     add, [](int a, int b) { return a + b; }, run_on::thread_pool),
                 shoal::registry_frozen_error);
}

}  // namespace
