// The codec's argument errors say which argument (counted from 1, as a user types them), the
// type the task declares and what came instead: "argument 2 of 'add': expected int, got
// string", not msgpack's bare std::bad_cast.
#include "shoal/common/detail/msgpack_codec.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using shoal::task_error;
using shoal::detail::pack_arguments;
using shoal::detail::unpack_arguments;

// The message of the argument error unpacking `payload` as Args throws ("" if none).
template <class... Args>
std::string argument_error(const std::string& payload, const std::string& function) {
    try {
        (void)unpack_arguments<Args...>(payload, function);
    } catch (const task_error& e) {
        EXPECT_EQ(e.type(), "shoal::argument_error");
        return e.what();
    }
    return "";
}

TEST(MsgpackCodec, AWrongArgumentNamesItsPositionFromOneAndBothTypes) {
    EXPECT_EQ((argument_error<long, long>(pack_arguments(1L, std::string("two")), "add")),
              "argument 2 of 'add': expected int, got string");
    EXPECT_EQ((argument_error<std::string>(pack_arguments(2.5), "shout")),
              "argument 1 of 'shout': expected string, got float");
}

TEST(MsgpackCodec, ContainersSayWhatTheyHoldAndWhatCame) {
    EXPECT_EQ((argument_error<std::vector<long>>(pack_arguments(std::vector<std::string>{"a", "b"}),
                                                 "add_all")),
              "argument 1 of 'add_all': expected array of int, got array of string");
    EXPECT_EQ((argument_error<std::vector<long>>(pack_arguments(7L), "add_all")),
              "argument 1 of 'add_all': expected array of int, got int 7");
    EXPECT_EQ(
        (argument_error<std::map<std::string, int>>(pack_arguments(std::string("x")), "tally")),
        "argument 1 of 'tally': expected map of string to int, got string");
    EXPECT_EQ(
        (argument_error<long, std::optional<long>>(pack_arguments(1L, std::string("x")), "maybe")),
        "argument 2 of 'maybe': expected int or null, got string");
}

TEST(MsgpackCodec, AnIntegerOutOfRangeShowsTheRangeAndTheValue) {
    EXPECT_EQ(
        (argument_error<int>(pack_arguments(std::int64_t{1} << 40), "fib")),
        "argument 1 of 'fib': expected int from -2147483648 to 2147483647, got int 1099511627776");
    EXPECT_EQ((argument_error<unsigned>(pack_arguments(-1L), "fib")),
              "argument 1 of 'fib': expected int from 0 to 4294967295, got int -1");
}

TEST(MsgpackCodec, RightArgumentsStillConvert) {
    const auto [a, b] =
        unpack_arguments<long, std::vector<long>>(pack_arguments(1L, std::vector<long>{2, 3}), "f");
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, (std::vector<long>{2, 3}));
}

}  // namespace
