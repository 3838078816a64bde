#include "shoal/broker/credit_account.hpp"

#include <gtest/gtest.h>

namespace {

using shoal::broker::credit_account;

TEST(CreditAccount, NothingBeforeReady) {
    credit_account c(4, 2);
    EXPECT_EQ(c.capacity(), 6u);
    EXPECT_EQ(c.available(), 0u);
}

TEST(CreditAccount, ReadyGrantsTokensAndDispatchSpendsThem) {
    credit_account c(2, 1);
    c.grant(3);
    EXPECT_EQ(c.available(), 3u);
    c.spend(2);
    EXPECT_EQ(c.available(), 1u);
    EXPECT_EQ(c.held(), 2u);
    c.finished();
    c.grant(1);  // DONE with one result returns one token
    EXPECT_EQ(c.available(), 2u);
    EXPECT_EQ(c.held(), 1u);
}

TEST(CreditAccount, NeverMoreThanSlotsPlusPrefetchOutstanding) {
    credit_account c(2, 1);
    c.grant(1000);  // a worker promising too much
    EXPECT_EQ(c.available(), 3u);
    c.spend(3);
    c.grant(5);  // tokens again, but nothing came back
    EXPECT_EQ(c.available(), 0u);
    c.finished();
    EXPECT_EQ(c.available(), 1u);
}

TEST(CreditAccount, PrefetchZeroHoldsAtMostSlots) {
    credit_account c(1, 0);
    c.grant(1);
    EXPECT_EQ(c.available(), 1u);
    c.spend(1);
    EXPECT_EQ(c.available(), 0u);
    c.grant(1);  // READY sent again while still busy: still only one at a time
    EXPECT_EQ(c.available(), 0u);
    c.finished();
    EXPECT_EQ(c.available(), 1u);
}

TEST(CreditAccount, RefundGivesBackAnUnsentDispatch) {
    credit_account c(3, 0);
    c.grant(3);
    c.spend(2);
    c.refund(2);
    EXPECT_EQ(c.available(), 3u);
    EXPECT_EQ(c.held(), 0u);
}

TEST(CreditAccount, FinishedNeverUnderflows) {
    credit_account c(1, 0);
    c.finished(5);
    EXPECT_EQ(c.held(), 0u);
    c.grant(1);
    EXPECT_EQ(c.available(), 1u);
}

}  // namespace
