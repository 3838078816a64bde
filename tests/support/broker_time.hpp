#pragma once
// Moving an embedded broker's manual clock from a test. The clock is read on the broker's
// thread only, so it is advanced there (embedded_broker::call). The timers that come due fire
// in the loop's next pass, after its readers: a second call, which runs in that pass ahead of
// them, returns just before they run, and the loop runs them before it reads another message.
// So when advance() returns, anything the test sends next sees the broker after its timers
// (tick: liveness, result expiry; held tasks; expiries).

#include "manual_clock.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace shoal::broker::testing {

inline void advance(embedded_broker& b, shoal::testing::manual_clock& clock, double seconds) {
    b.call([&](shoal::broker::broker&) { clock.advance(seconds); });
    b.call([](shoal::broker::broker&) {});
}

}  // namespace shoal::broker::testing
