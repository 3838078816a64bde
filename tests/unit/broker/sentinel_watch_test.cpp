// sentinel_watch's reading of Sentinel's +switch-master messages: only our master's, and only
// a well-formed new address, moves the broker.

#include "redis/sentinel_watch.hpp"

#include <gtest/gtest.h>

namespace {

using shoal::broker::parse_switch_master;

TEST(SentinelWatch, ReadsTheNewAddressOfOurMaster) {
    const auto to = parse_switch_master("shoal 10.0.0.5 6379 10.0.0.6 6380", "shoal");
    ASSERT_TRUE(to.has_value());
    EXPECT_EQ(to->host, "10.0.0.6");
    EXPECT_EQ(to->port, 6380);
}

TEST(SentinelWatch, IgnoresAnotherMaster) {
    EXPECT_FALSE(parse_switch_master("other 10.0.0.5 6379 10.0.0.6 6380", "shoal"));
    EXPECT_FALSE(parse_switch_master("shoal2 10.0.0.5 6379 10.0.0.6 6380", "shoal"));
}

TEST(SentinelWatch, IgnoresWhatItCannotRead) {
    for (const char* bad :
         {"", "shoal", "shoal 10.0.0.5 6379 10.0.0.6", "shoal 10.0.0.5 6379 10.0.0.6 6380 extra",
          "shoal a 1 b port", "shoal a 1 b 0", "shoal a 1 b 65536", "shoal a 1 b 80x"}) {
        EXPECT_FALSE(parse_switch_master(bad, "shoal")) << bad;
    }
}

}  // namespace
