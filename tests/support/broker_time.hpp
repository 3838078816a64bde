#pragma once
// Moving an embedded broker's manual clock from a test. The clock is read on the broker's
// thread only, so it is advanced there (embedded_broker::call). The timers that come due fire
// in a later pass of the loop, and a timer may itself read messages waiting in the socket
// (the broker's tick drains before it judges liveness and expires results), so an empty call
// that merely runs beside the timer is not enough: two of them are. The second is queued only
// once the first has run, so it runs in a pass after the one that ran the due timers, and
// when it returns those timers are over. So when advance() returns, anything the test sends
// next sees the broker after its timers (tick: liveness, result expiry; held tasks; expiries).

#include "manual_clock.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace shoal::broker::testing {

inline void advance(embedded_broker& b, shoal::testing::manual_clock& clock, double seconds) {
    b.call([&](shoal::broker::broker&) { clock.advance(seconds); });
    b.call([](shoal::broker::broker&) {});
    b.call([](shoal::broker::broker&) {});
}

}  // namespace shoal::broker::testing
