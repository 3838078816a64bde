#pragma once
// drive_until_done: runs a manual-clock loop pass by pass, moving time by `step` seconds per
// pass, until the future is done. Bounded in passes so a bug fails the test instead of
// hanging it; returns whether the future finished.

#include "manual_clock.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"

namespace shoal::testing {

inline constexpr int default_max_passes = 100000;

template <class T>
bool drive_until_done(event_loop& loop, manual_clock& clock, const future<T>& f,
                      double step = 0.001, int max_passes = default_max_passes) {
    for (int i = 0; i < max_passes && !f.done(); ++i) {
        clock.advance(step);
        loop.stop();
        loop.run_forever();
    }
    return f.done();
}

}  // namespace shoal::testing

#include "loop_fixture.hpp"

namespace shoal::testing {

// loop_fixture plus drive(f): run passes on the manual clock until f is done.
class driven_loop_fixture : public loop_fixture {
  protected:
    template <class T>
    bool drive(const future<T>& f) {
        return drive_until_done(loop(), clock(), f);
    }
};

}  // namespace shoal::testing
