// JSON <-> msgpack conversion used by the shoal CLI (shoal/client/json_msgpack.hpp).
#include "shoal/client/json_msgpack.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <msgpack.hpp>

namespace {

using shoal::json_args_to_msgpack;
using shoal::json_conversion_error;
using shoal::json_to_msgpack;
using shoal::msgpack_to_json;

template <class T>
std::string pack(const T& value) {
    msgpack::sbuffer buffer;
    msgpack::pack(buffer, value);
    return std::string(buffer.data(), buffer.size());
}

template <class T>
T unpack_as(const std::string& bytes) {
    return msgpack::unpack(bytes.data(), bytes.size()).get().as<T>();
}

TEST(JsonToMsgpack, ScalarsBecomeTheMatchingMsgpackTypes) {
    EXPECT_EQ(unpack_as<int>(json_to_msgpack("5")), 5);
    EXPECT_EQ(unpack_as<long long>(json_to_msgpack("-9000000000")), -9000000000LL);
    EXPECT_DOUBLE_EQ(unpack_as<double>(json_to_msgpack("2.5")), 2.5);
    EXPECT_EQ(unpack_as<std::string>(json_to_msgpack("\"héllo\"")), "héllo");
    EXPECT_EQ(unpack_as<bool>(json_to_msgpack("true")), true);
    const auto nil = json_to_msgpack("null");
    EXPECT_EQ(msgpack::unpack(nil.data(), nil.size()).get().type, msgpack::type::NIL);
}

TEST(JsonToMsgpack, ContainersKeepTheirShape) {
    EXPECT_EQ((unpack_as<std::vector<int>>(json_to_msgpack("[1, 2, 3]"))),
              (std::vector<int>{1, 2, 3}));
    const auto m = unpack_as<std::map<std::string, std::vector<int>>>(
        json_to_msgpack(R"({"a": [1], "b": []})"));
    EXPECT_EQ(m.at("a"), std::vector<int>{1});
    EXPECT_TRUE(m.at("b").empty());
}

TEST(JsonToMsgpack, ArgumentsBecomeOneArrayInOrder) {
    const std::vector<std::string> args{"2", "\"x\"", "[1,2]"};
    const auto t =
        unpack_as<std::tuple<int, std::string, std::vector<int>>>(json_args_to_msgpack(args));
    EXPECT_EQ(std::get<0>(t), 2);
    EXPECT_EQ(std::get<1>(t), "x");
    EXPECT_EQ(std::get<2>(t), (std::vector<int>{1, 2}));
    EXPECT_EQ(json_args_to_msgpack({}), pack(std::vector<int>{}));
}

TEST(JsonToMsgpack, InvalidJsonIsATypedErrorNamingTheArgument) {
    EXPECT_THROW(json_to_msgpack("hello"), json_conversion_error);
    EXPECT_THROW(json_to_msgpack("[1,"), json_conversion_error);
    EXPECT_THROW(json_to_msgpack(""), json_conversion_error);
    EXPECT_THROW(json_to_msgpack("1 2"), json_conversion_error);
    const std::vector<std::string> args{"1", "oops"};
    try {
        json_args_to_msgpack(args);
        FAIL() << "no error";
    } catch (const json_conversion_error& e) {
        EXPECT_NE(std::string(e.what()).find("argument 2"), std::string::npos) << e.what();
    }
}

TEST(JsonToMsgpack, DeepNestingIsRefusedNotRecursedInto) {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    EXPECT_THROW(json_to_msgpack(deep), json_conversion_error);
    const std::string ok = std::string(60, '[') + std::string(60, ']');
    EXPECT_NO_THROW(json_to_msgpack(ok));
}

TEST(MsgpackToJson, ValuesPrintAsCompactJson) {
    EXPECT_EQ(msgpack_to_json(pack(5)), "5");
    EXPECT_EQ(msgpack_to_json(pack(-3)), "-3");
    EXPECT_EQ(msgpack_to_json(pack(std::string("hi"))), "\"hi\"");
    EXPECT_EQ(msgpack_to_json(pack(std::vector<int>{1, 2})), "[1,2]");
    EXPECT_EQ(msgpack_to_json(pack(std::map<std::string, int>{{"a", 1}})), R"({"a":1})");
    EXPECT_EQ(msgpack_to_json(pack(1.5)), "1.5");
    EXPECT_EQ(msgpack_to_json(pack(msgpack::type::nil_t())), "null");
}

TEST(MsgpackToJson, NonStringKeysBinaryAndNonFiniteNumbersStillPrint) {
    EXPECT_EQ(msgpack_to_json(pack(std::map<int, int>{{1, 2}})), R"({"1":2})");
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> p(buffer);
    p.pack_bin(3);
    p.pack_bin_body("abc", 3);
    EXPECT_EQ(msgpack_to_json(std::string(buffer.data(), buffer.size())), R"({"$bin":"YWJj"})");
    EXPECT_EQ(msgpack_to_json(pack(std::numeric_limits<double>::quiet_NaN())), "null");
    EXPECT_EQ(msgpack_to_json(pack(std::string("\xff"))), "\"\xef\xbf\xbd\"");  // U+FFFD
}

TEST(MsgpackToJson, PrettyPrintingUsesTheIndent) {
    EXPECT_EQ(msgpack_to_json(pack(std::vector<int>{1}), 2), "[\n  1\n]");
}

TEST(MsgpackToJson, BadOrHostileBytesAreATypedError) {
    EXPECT_THROW(msgpack_to_json(""), json_conversion_error);
    EXPECT_THROW(msgpack_to_json("\xc1"), json_conversion_error);                  // reserved byte
    EXPECT_THROW(msgpack_to_json("\xdd\xff\xff\xff\xff"), json_conversion_error);  // 2^32 elements
    EXPECT_THROW(msgpack_to_json(pack(1) + pack(2)), json_conversion_error);       // trailing bytes
    EXPECT_THROW(msgpack_to_json(std::string(100, '\x91') + pack(1)),
                 json_conversion_error);  // deep
}

// Maps keyed by maps, nested: each level escapes the key text below it again, so the text
// doubles a level. 40 levels in 41 bytes took forever (CI's fuzz stage at 37154a3: a libFuzzer
// timeout); now a typed error, at once.
TEST(MsgpackToJson, MapsKeyedByMapsNestedDeepAreATypedErrorNotAnExponentialKey) {
    std::string bytes;
    for (int level = 0; level < 40; ++level)
        bytes.push_back(static_cast<char>(0x81));  // {key: ...}
    bytes.push_back(static_cast<char>(0x01));      // the innermost key
    for (int level = 0; level < 40; ++level)
        bytes.push_back(static_cast<char>(0xa1)), bytes.push_back('"');
    EXPECT_THROW((void)shoal::msgpack_to_json(bytes), shoal::json_conversion_error);
}

// An event: its fields in their own order, bin payloads shown as the msgpack they hold.
TEST(MsgpackMapToJson, KeepsTheOrderAndOpensPayloads) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> p(buf);
    p.pack_map(4);
    p.pack(std::string("type"));
    p.pack(std::string("task-succeeded"));
    p.pack(std::string("clock"));
    p.pack(7);
    const std::string result = "\x92\x01\xa1x";  // [1, "x"]
    p.pack(std::string("result"));
    p.pack_bin(static_cast<std::uint32_t>(result.size()));
    p.pack_bin_body(result.data(), static_cast<std::uint32_t>(result.size()));
    const std::string garbage = "\xc1";  // never valid msgpack
    p.pack(std::string("raw"));
    p.pack_bin(1);
    p.pack_bin_body(garbage.data(), 1);
    EXPECT_EQ(shoal::msgpack_map_to_json({buf.data(), buf.size()}),
              R"({"type":"task-succeeded","clock":7,"result":[1,"x"],"raw":{"$bin":"wQ=="}})");
    EXPECT_THROW((void)shoal::msgpack_map_to_json("\x91\x01"), shoal::json_conversion_error);
    EXPECT_THROW((void)shoal::msgpack_map_to_json("\xc1"), shoal::json_conversion_error);
}

TEST(JsonMsgpack, RoundTripsThroughBothDirections) {
    const std::string text = R"({"list":[1,-2,3.25,"s",null,true],"nested":{"k":[[]]}})";
    EXPECT_EQ(msgpack_to_json(json_to_msgpack(text)), text);
}

}  // namespace
