#pragma once
// The event loop's time source: a seam so that tests can drive timers with a manual clock.
// Time is monotonic seconds (never wall-clock): the loop only compares and subtracts it.

namespace shoal {

class clock {
  public:
    virtual ~clock() = default;
    // Seconds since an arbitrary fixed origin; never decreases.
    virtual double now() const = 0;
};

// std::chrono::steady_clock in seconds. The loop's default.
class steady_clock final : public clock {
  public:
    double now() const override;
};

}  // namespace shoal
