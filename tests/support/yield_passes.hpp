#pragma once
// Helpers for tests that let coroutines interleave: yield a number of loop passes, and an
// event log to assert the order in which things happened.

#include <string>
#include <vector>

#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"

namespace shoal::testing {

using event_log = std::vector<std::string>;

// Lets the loop run `n` passes, so that woken coroutines get to run.
inline shoal::task<void> yield_passes(int n) {
    for (int i = 0; i < n; ++i) {
        co_await shoal::sleep(0);
    }
}

// Enough passes for every wake-up chain in the primitives' tests to settle.
inline constexpr int settle_passes = 5;

}  // namespace shoal::testing
