// Arguments as bytes: every msgpack type is walked to its end without decoding, broken bytes
// are typed errors (never a read past the end), and splicing replaces exactly the elements
// named, copying the others byte for byte.
#include "shoal/proto/argument_splice.hpp"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <msgpack.hpp>

namespace {

using shoal::proto::argument_replacement;
using shoal::proto::decode_errc;
using shoal::proto::decode_error;
using shoal::proto::skip_msgpack_value;
using shoal::proto::splice_arguments;

template <class T>
std::string packed(const T& value) {
    msgpack::sbuffer buf;
    msgpack::pack(buf, value);
    return {buf.data(), buf.size()};
}

decode_errc code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const decode_error& e) {
        return e.code();
    }
    ADD_FAILURE() << "no decode_error";
    return decode_errc::bad_body;
}

TEST(SkipMsgpackValue, WalksEveryTypeToItsEnd) {
    const std::vector<std::string> values{
        packed(0),
        packed(127),
        packed(-1),
        packed(-33),
        packed(200),
        packed(70000),
        packed(5'000'000'000LL),
        packed(-200),
        packed(-70000),
        packed(-5'000'000'000LL),
        packed(1.5f),
        packed(2.5),
        packed(true),
        packed(msgpack::type::nil_t()),
        packed(std::string(3, 'a')),
        packed(std::string(300, 'b')),
        packed(std::string(70'000, 'c')),
        packed(std::vector<int>{1, 2, 3}),
        packed(std::vector<int>(20, 7)),
        packed(std::map<std::string, std::vector<int>>{{"k", {1, 2}}, {"l", {}}}),
        packed(std::map<int, int>{{1, 2},
                                  {3, 4},
                                  {5, 6},
                                  {7, 8},
                                  {9, 10},
                                  {11, 12},
                                  {13, 14},
                                  {15, 16},
                                  {17, 18},
                                  {19, 20},
                                  {21, 22},
                                  {23, 24},
                                  {25, 26},
                                  {27, 28},
                                  {29, 30},
                                  {31, 32},
                                  {33, 34}})};
    for (const std::string& v : values) {
        EXPECT_EQ(skip_msgpack_value(v, 0), v.size()) << v.size();
        EXPECT_EQ(skip_msgpack_value("\x01" + v + "\x02", 1), v.size() + 1);
    }
    // bin and ext, written by hand: bin8 of 2 bytes, fixext1, ext8 of 3 bytes.
    EXPECT_EQ(skip_msgpack_value(std::string("\xc4\x02xy", 4), 0), 4u);
    EXPECT_EQ(skip_msgpack_value(std::string("\xd4\x01z", 3), 0), 3u);
    EXPECT_EQ(skip_msgpack_value(std::string("\xc7\x03\x05"
                                             "abc",
                                             6),
                                 0),
              6u);
}

TEST(SkipMsgpackValue, BrokenBytesAreTypedErrorsNeverAReadPastTheEnd) {
    EXPECT_EQ(code_of([] { skip_msgpack_value("", 0); }), decode_errc::truncated);
    EXPECT_EQ(code_of([] { skip_msgpack_value("\xc1", 0); }), decode_errc::malformed);
    EXPECT_EQ(code_of([] { skip_msgpack_value("\x93\x01\x02", 0); }), decode_errc::truncated);
    EXPECT_EQ(code_of([] { skip_msgpack_value(std::string("\xa5") + "abc", 0); }),
              decode_errc::truncated);
    EXPECT_EQ(code_of([] { skip_msgpack_value("\xcd\x01", 0); }), decode_errc::truncated);
    // An array32 claiming 4 billion elements in 5 bytes: refused from its header.
    EXPECT_EQ(code_of([] { skip_msgpack_value(std::string("\xdd\xff\xff\xff\xff", 5), 0); }),
              decode_errc::truncated);
    EXPECT_EQ(code_of([] { skip_msgpack_value(std::string("\xdb\xff\xff\xff\xff", 5), 0); }),
              decode_errc::truncated);
}

TEST(SpliceArguments, ReplacesTheNamedElementsAndCopiesTheRest) {
    // [nil, "keep", nil] with 0 -> 5 and 2 -> {"a": [1]}.
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> p(buf);
    p.pack_array(3);
    p.pack_nil();
    p.pack(std::string("keep"));
    p.pack_nil();
    const std::string args(buf.data(), buf.size());
    const std::string five = packed(5);
    const std::string map = packed(std::map<std::string, std::vector<int>>{{"a", {1}}});
    const std::vector<argument_replacement> r{{2, map}, {0, five}};
    const std::string spliced = splice_arguments(args, r);
    const auto handle = msgpack::unpack(spliced.data(), spliced.size());
    const auto as =
        handle.get().as<std::tuple<int, std::string, std::map<std::string, std::vector<int>>>>();
    EXPECT_EQ(std::get<0>(as), 5);
    EXPECT_EQ(std::get<1>(as), "keep");
    EXPECT_EQ(std::get<2>(as).at("a"), std::vector<int>{1});
    EXPECT_EQ(splice_arguments(args, {}), args) << "nothing named: the same bytes";
}

TEST(SpliceArguments, RefusesWhatIsNotAnArrayABadIndexOrABadValue) {
    const std::string args = packed(std::vector<int>{1, 2});
    const std::string one = packed(1);
    EXPECT_EQ(code_of([&] { splice_arguments(one, {}); }), decode_errc::bad_body);
    EXPECT_EQ(code_of([&] { splice_arguments("", {}); }), decode_errc::bad_body);
    const std::vector<argument_replacement> past{{2, one}};
    EXPECT_EQ(code_of([&] { splice_arguments(args, past); }), decode_errc::bad_body);
    const std::vector<argument_replacement> twice{{1, one}, {1, one}};
    EXPECT_EQ(code_of([&] { splice_arguments(args, twice); }), decode_errc::bad_body);
    const std::string two_values = one + one;
    const std::vector<argument_replacement> not_one{{0, two_values}};
    EXPECT_EQ(code_of([&] { splice_arguments(args, not_one); }), decode_errc::bad_body);
    EXPECT_EQ(code_of([&] { splice_arguments(args + "\x01", {}); }), decode_errc::trailing_bytes);
    EXPECT_EQ(code_of([&] { splice_arguments("\x92\x01", {}); }), decode_errc::truncated);
}

}  // namespace

namespace {

TEST(CountArguments, ReadsTheArrayHeaderOnly) {
    EXPECT_EQ(shoal::proto::count_arguments("\x90"), 0u);
    EXPECT_EQ(shoal::proto::count_arguments("\x93\xc0"), 3u);  // the header alone decides
    EXPECT_EQ(shoal::proto::count_arguments(packed(std::vector<int>(70'000, 1))), 70'000u);
    EXPECT_EQ(code_of([] { (void)shoal::proto::count_arguments(""); }), decode_errc::bad_body);
    EXPECT_EQ(code_of([] { (void)shoal::proto::count_arguments("\x05"); }), decode_errc::bad_body);
}

TEST(PackArrayOf, MakesOneArrayOfTheValuesAsTheyAre) {
    using shoal::proto::pack_array_of;
    EXPECT_EQ(pack_array_of({}), "\x90");
    const std::string one = packed(1);
    const std::string ab = packed(std::string("ab"));
    const std::vector<std::string_view> two{one, ab};
    EXPECT_EQ(pack_array_of(two), packed(std::make_tuple(1, std::string("ab"))));
    for (const std::size_t n : {15u, 16u, 65'535u, 65'536u}) {
        const std::string seven = packed(7);
        const std::vector<std::string_view> values(n, seven);
        EXPECT_EQ(pack_array_of(values), packed(std::vector<int>(n, 7))) << n;
    }
}

}  // namespace
