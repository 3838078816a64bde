#include "shoal/proto/bounded_unpack.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

namespace {

using shoal::proto::decode_errc;
using shoal::proto::decode_error;
using shoal::proto::decode_limits;
using shoal::proto::unpack_bounded;

template <class T>
std::string packed(const T& value) {
    msgpack::sbuffer buffer;
    msgpack::pack(buffer, value);
    return std::string(buffer.data(), buffer.size());
}

decode_errc error_of(const std::string& bytes, const decode_limits& limits = {}) {
    try {
        unpack_bounded(bytes, limits);
    } catch (const decode_error& e) {
        return e.code();
    }
    ADD_FAILURE() << "decoded without error";
    return decode_errc::malformed;
}

std::string bytes_of(std::initializer_list<unsigned> values) {
    std::string out;
    for (unsigned v : values) out.push_back(static_cast<char>(v));
    return out;
}

TEST(BoundedUnpack, DecodesAValueWithinTheLimits) {
    const auto value = std::make_tuple(std::string("add"), std::vector<int>{2, 3}, true);
    auto handle = unpack_bounded(packed(value));
    EXPECT_EQ(handle.get().as<std::remove_const_t<decltype(value)>>(), value);
}

TEST(BoundedUnpack, TheValueOutlivesTheInputBuffer) {
    std::string bytes = packed(std::string(100, 'x'));
    auto handle = unpack_bounded(bytes);
    bytes.assign(bytes.size(), '\0');
    EXPECT_EQ(handle.get().as<std::string>(), std::string(100, 'x'));
}

TEST(BoundedUnpack, HeadersClaimingTwoToThe32ElementsAreRejectedFromTheHeaderAlone) {
    EXPECT_EQ(error_of(bytes_of({0xdd, 0xff, 0xff, 0xff, 0xff})), decode_errc::too_many_elements);
    EXPECT_EQ(error_of(bytes_of({0xdf, 0xff, 0xff, 0xff, 0xff})), decode_errc::too_many_elements);
    // A str or bin is only visited once its bytes are all there: claiming 4 GiB over a
    // 5-byte body ends as truncated, still without allocating.
    EXPECT_EQ(error_of(bytes_of({0xdb, 0xff, 0xff, 0xff, 0xff})), decode_errc::truncated);
    EXPECT_EQ(error_of(bytes_of({0xc6, 0xff, 0xff, 0xff, 0xff})), decode_errc::truncated);
}

TEST(BoundedUnpack, AStringLongerThanItsLimitIsRejected) {
    decode_limits limits;
    limits.max_str_bytes = 8;
    EXPECT_EQ(error_of(packed(std::string(9, 'a')), limits), decode_errc::too_long);
    EXPECT_NO_THROW(unpack_bounded(packed(std::string(8, 'a')), limits));
}

TEST(BoundedUnpack, AnArrayLongerThanTheBatchLimitIsRejected) {
    EXPECT_EQ(error_of(packed(std::vector<int>(10'001, 0))), decode_errc::too_many_elements);
    EXPECT_NO_THROW(unpack_bounded(packed(std::vector<int>(10'000, 0))));
}

TEST(BoundedUnpack, NestingPastTheDepthLimitIsRejected) {
    decode_limits limits;
    limits.max_depth = 3;
    const auto deep = std::vector<std::vector<std::vector<std::vector<int>>>>{{{{1}}}};
    EXPECT_EQ(error_of(packed(deep), limits), decode_errc::too_deep);
    const auto shallow = std::vector<std::vector<int>>{{1}};
    EXPECT_NO_THROW(unpack_bounded(packed(shallow), limits));
}

TEST(BoundedUnpack, ABodyLargerThanMaxBytesIsRejectedBeforeDecoding) {
    decode_limits limits;
    limits.max_bytes = 10;
    EXPECT_EQ(error_of(packed(std::string(20, 'a')), limits), decode_errc::too_large);
}

TEST(BoundedUnpack, TruncatedInputIsReported) {
    const std::string whole = packed(std::vector<int>{1, 2, 3});
    EXPECT_EQ(error_of(whole.substr(0, whole.size() - 1)), decode_errc::truncated);
    EXPECT_EQ(error_of(""), decode_errc::truncated);
}

TEST(BoundedUnpack, TheReservedByteIsMalformed) {
    EXPECT_EQ(error_of(bytes_of({0xc1})), decode_errc::malformed);
}

TEST(BoundedUnpack, BytesAfterTheValueAreRejected) {
    EXPECT_EQ(error_of(packed(1) + packed(2)), decode_errc::trailing_bytes);
}

// Random bytes either decode or raise decode_error: never a crash, a hang or another
// exception type. Seeded, and bounded in count, so it is the same test every run.
TEST(BoundedUnpack, RandomBytesEitherDecodeOrRaiseDecodeError) {
    constexpr int rounds = 20'000;
    constexpr std::size_t max_length = 64;
    std::mt19937 rng(20261121);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> length(0, max_length);
    int decoded = 0;
    int rejected = 0;
    for (int i = 0; i < rounds; ++i) {
        std::string bytes(length(rng), '\0');
        for (auto& c : bytes) c = static_cast<char>(byte(rng));
        try {
            unpack_bounded(bytes);
            ++decoded;
        } catch (const decode_error&) {
            ++rejected;
        }
    }
    EXPECT_EQ(decoded + rejected, rounds);
    EXPECT_GT(rejected, 0);
    EXPECT_GT(decoded, 0);
}

}  // namespace
