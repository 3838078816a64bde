#pragma once
// duration_histogram: how long something took, in fixed buckets from 100 us to 5 min (a task
// queue's tasks run from tens of microseconds to minutes), for Prometheus histograms:
// a task's runtime and queue wait per name, Redis's round trips. A fixed array: observing is a
// short scan and an add, and nothing is allocated.

#include <array>
#include <cstddef>
#include <cstdint>

namespace shoal::broker {

class duration_histogram {
  public:
    // Upper bounds in seconds; one more bucket (+Inf) holds the rest.
    static constexpr std::array<double, 17> bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                   0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                   1,      2.5,     10,     60,    300};

    void observe(double seconds) noexcept {
        std::size_t i = 0;
        while (i < bounds.size() && seconds > bounds[i]) ++i;
        ++buckets_[i];
        ++count_;
        sum_ += seconds > 0 ? seconds : 0;
    }
    // Observations at most bounds[i] (i == bounds.size(): all of them).
    std::uint64_t cumulative(std::size_t i) const noexcept {
        std::uint64_t n = 0;
        for (std::size_t k = 0; k <= i && k < buckets_.size(); ++k) n += buckets_[k];
        return n;
    }
    std::uint64_t count() const noexcept { return count_; }
    double sum() const noexcept { return sum_; }

  private:
    std::array<std::uint64_t, bounds.size() + 1> buckets_{};
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

}  // namespace shoal::broker
