// The entries of shoal:brokers (ha/broker_presence.hpp): written by every broker with a lease,
// read back by the active for `inspect brokers`; what does not read is left out, not guessed.

#include "ha/broker_presence.hpp"

#include <gtest/gtest.h>

namespace {

using shoal::broker::decode_presence;
using shoal::broker::encode_presence;

TEST(BrokerPresence, AnEntryReadsBackAsWritten) {
    const auto p = decode_presence("b", encode_presence("standby", 1765000000123, "tcp://h:5555"));
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->name, "b");
    EXPECT_EQ(p->role, "standby");
    EXPECT_EQ(p->at_ms, 1765000000123u);
    EXPECT_EQ(p->endpoint, "tcp://h:5555");
}

TEST(BrokerPresence, WhatDoesNotReadIsLeftOut) {
    for (const char* bad : {"", "standby", "standby,12", ",12,tcp://h:1", "standby,x,tcp://h:1",
                            "standby,12x,tcp://h:1", "standby,,tcp://h:1"}) {
        EXPECT_FALSE(decode_presence("b", bad)) << bad;
    }
}

}  // namespace
