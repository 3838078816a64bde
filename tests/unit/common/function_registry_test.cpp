// shoal::function_registry: typed definitions invoked with msgpack arguments.

#include "shoal/common/function_registry.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

inline constexpr shoal::task_def<long(long, long)> add{"add"};
inline constexpr shoal::task_def<std::string(const std::string&)> shout{"shout"};
inline constexpr shoal::task_def<void(int)> sink{"sink"};
inline constexpr shoal::task_def<int()> fail{"fail"};

template <class T>
T decode(const std::string& bytes) {
    return shoal::detail::unpack_result<T>(bytes);
}

TEST(TaskDef, IsConstexprAndKeepsItsName) {
    static_assert(add.name() == "add");
    static_assert(decltype(add)::arity == 2);
    SUCCEED();
}

TEST(FunctionRegistry, InvokesTypedFunctionWithMsgpackArguments) {
    shoal::function_registry registry;
    registry.define(add, [](long a, long b) { return a + b; });
    const auto out = registry.invoke("add", shoal::detail::pack_arguments(2L, 40L));
    EXPECT_EQ(decode<long>(out), 42);
}

TEST(FunctionRegistry, HandlesStringsAndConstRefParameters) {
    shoal::function_registry registry;
    registry.define(shout, [](const std::string& s) { return s + "!"; });
    EXPECT_EQ(decode<std::string>(
                  registry.invoke("shout", shoal::detail::pack_arguments(std::string("hey")))),
              "hey!");
}

TEST(FunctionRegistry, VoidFunctionReturnsNil) {
    shoal::function_registry registry;
    int seen = 0;
    registry.define(sink, [&](int x) { seen = x; });
    const auto out = registry.invoke("sink", shoal::detail::pack_arguments(7));
    EXPECT_EQ(seen, 7);
    EXPECT_EQ(out, shoal::detail::pack_nil());
}

TEST(FunctionRegistry, WrongArityIsArgumentError) {
    shoal::function_registry registry;
    registry.define(add, [](long a, long b) { return a + b; });
    try {
        registry.invoke("add", shoal::detail::pack_arguments(1L));
        FAIL() << "expected an argument error";
    } catch (const shoal::task_error& e) {
        EXPECT_EQ(e.type(), "shoal::argument_error");
        EXPECT_NE(std::string(e.what()).find("takes 2 argument(s), got 1"), std::string::npos);
    }
}

TEST(FunctionRegistry, WrongArgumentTypeIsArgumentError) {
    shoal::function_registry registry;
    registry.define(add, [](long a, long b) { return a + b; });
    try {
        registry.invoke("add", shoal::detail::pack_arguments(1L, std::string("two")));
        FAIL() << "expected an argument error";
    } catch (const shoal::task_error& e) {
        EXPECT_EQ(e.type(), "shoal::argument_error");
        EXPECT_EQ(std::string(e.what()), "argument 2 of 'add': expected int, got string");
    }
}

TEST(FunctionRegistry, NonArrayOrGarbageArgumentsAreArgumentErrors) {
    shoal::function_registry registry;
    registry.define(add, [](long a, long b) { return a + b; });
    EXPECT_THROW(registry.invoke("add", shoal::detail::pack_result(5)), shoal::task_error);
    EXPECT_THROW(registry.invoke("add", std::string("\xc1", 1)), shoal::task_error);
    EXPECT_THROW(registry.invoke("add", std::string()), shoal::task_error);
}

TEST(FunctionRegistry, DuplicateNameIsRejected) {
    shoal::function_registry registry;
    registry.define(add, [](long a, long b) { return a + b; });
    EXPECT_THROW(registry.define(add, [](long a, long b) { return a - b; }),
                 shoal::duplicate_function_error);
}

TEST(FunctionRegistry, UnknownNameIsReported) {
    shoal::function_registry registry;
    EXPECT_FALSE(registry.find("nope").has_value());
    EXPECT_FALSE(registry.contains("nope"));
    EXPECT_THROW(registry.invoke("nope", shoal::detail::pack_arguments()),
                 shoal::unknown_function_error);
}

TEST(FunctionRegistry, FunctionExceptionsPassThrough) {
    shoal::function_registry registry;
    registry.define(fail, []() -> int { throw std::invalid_argument("bad"); });
    EXPECT_THROW(registry.invoke("fail", shoal::detail::pack_arguments()), std::invalid_argument);
}

TEST(FunctionRegistry, SnapshotCopiesRegistrations) {
    shoal::function_registry registry;
    registry.define(add, [](long a, long b) { return a + b; });
    const auto table = registry.snapshot();
    registry.define(shout, [](const std::string& s) { return s; });
    EXPECT_EQ(table.size(), 1U);
    EXPECT_TRUE(table.contains("add"));
}

TEST(FunctionRegistry, GlobalIsOneInstance) {
    EXPECT_EQ(&shoal::function_registry::global(), &shoal::function_registry::global());
}

}  // namespace
