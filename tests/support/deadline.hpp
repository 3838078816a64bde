#pragma once
// deadline: when a wait gives up. A test waits on events, each wait bounded by one of these,
// so a message that never comes fails the test instead of hanging it.

#include <algorithm>
#include <chrono>

namespace shoal::testing {

class deadline {
  public:
    explicit deadline(double seconds)
        : at_(std::chrono::steady_clock::now() +
              std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                  std::chrono::duration<double>(seconds))) {}

    // 0 once it passed.
    double left_s() const {
        return std::max(
            0.0, std::chrono::duration<double>(at_ - std::chrono::steady_clock::now()).count());
    }
    // Whole milliseconds left, for a poll; 0 or less once it passed.
    std::chrono::milliseconds left_ms() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            at_ - std::chrono::steady_clock::now());
    }
    bool passed() const { return std::chrono::steady_clock::now() >= at_; }

  private:
    std::chrono::steady_clock::time_point at_;
};

}  // namespace shoal::testing
