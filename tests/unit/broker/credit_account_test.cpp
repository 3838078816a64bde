#include "credit_account.hpp"

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

TEST(CreditAccount, TokensNeverExceedSlotsPlusPrefetch) {
    credit_account c(2, 1);
    c.grant(1000);  // a worker promising too much gets slots + prefetch
    EXPECT_EQ(c.available(), 3u);
    c.spend(3);
    EXPECT_EQ(c.available(), 0u);
    c.grant(1000);  // and again: never more than that many at once
    EXPECT_EQ(c.available(), 3u);
}

TEST(CreditAccount, TokensAreTrustedWhileTasksAreHeld) {
    // Prefetch 0, one slot: the task held waits on a subtask and gives its slot back with a
    // token; the broker sends the next task (the subtask itself, possibly) though one is held.
    credit_account c(1, 0);
    c.grant(1);
    c.spend(1);
    EXPECT_EQ(c.available(), 0u);
    c.grant(1);
    EXPECT_EQ(c.available(), 1u);
    c.spend(1);
    EXPECT_EQ(c.held(), 2u);
    c.finished(2);
    EXPECT_EQ(c.held(), 0u);
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
