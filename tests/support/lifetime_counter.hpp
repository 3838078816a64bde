#pragma once
// lifetime_counter: a token that tallies its constructions, copies, moves and destructions
// into a lifetime_stats the test owns. Capture one in a callback or put one in a coroutine
// frame, then assert on stats.alive() to prove the runtime released (or kept) it.
//
//   shoal::testing::lifetime_stats stats;
//   auto h = loop.call_later(10, [token = shoal::testing::lifetime_counter(stats)] {});
//   h.cancel();
//   EXPECT_EQ(stats.alive(), 0);
//
// The stats must outlive every counter pointing at it. Not thread-safe.

#include <utility>

namespace shoal::testing {

struct lifetime_stats {
    int constructed = 0;  // every constructor, including copies and moves
    int copied = 0;
    int moved = 0;
    int destroyed = 0;

    // Objects constructed and not yet destroyed (moved-from shells count until destroyed).
    int alive() const noexcept { return constructed - destroyed; }
};

class lifetime_counter {
  public:
    explicit lifetime_counter(lifetime_stats& stats) noexcept : stats_(&stats) {
        ++stats_->constructed;
    }
    lifetime_counter(const lifetime_counter& other) noexcept : stats_(other.stats_) {
        ++stats_->constructed;
        ++stats_->copied;
    }
    // noexcept so that a callback capturing one still fits unique_function's inline buffer.
    lifetime_counter(lifetime_counter&& other) noexcept : stats_(other.stats_) {
        ++stats_->constructed;
        ++stats_->moved;
    }
    lifetime_counter& operator=(const lifetime_counter& other) noexcept {
        stats_ = other.stats_;
        ++stats_->copied;
        return *this;
    }
    lifetime_counter& operator=(lifetime_counter&& other) noexcept {
        stats_ = other.stats_;
        ++stats_->moved;
        return *this;
    }
    ~lifetime_counter() { ++stats_->destroyed; }

    const lifetime_stats& stats() const noexcept { return *stats_; }

  private:
    lifetime_stats* stats_;
};

}  // namespace shoal::testing
