#pragma once
// manual_clock: a shoal::clock that only moves when a test says so, so that timers fire at
// the pass the test chooses and never because the machine was slow.
//
// A loop on a manual clock never sees time pass on its own: run_forever with only future
// timers pending would poll forever. Drive such loops pass by pass (loop_fixture::run_once)
// after advance(). Loop thread only (the loop reads now() without synchronisation).

#include "shoal/common/clock.hpp"

namespace shoal::testing {

class manual_clock final : public clock {
  public:
    // Starts away from zero so that arithmetic on "time 0" is not special.
    static constexpr double default_start_seconds = 1000.0;

    explicit manual_clock(double start_seconds = default_start_seconds) : now_(start_seconds) {}

    double now() const override { return now_; }
    // Moves time forward; a negative step would break the clock's contract and is ignored.
    void advance(double seconds) {
        if (seconds > 0) {
            now_ += seconds;
        }
    }
    // Jumps to an absolute time; never backwards.
    void set(double seconds) {
        if (seconds > now_) {
            now_ = seconds;
        }
    }

  private:
    double now_;
};

}  // namespace shoal::testing
