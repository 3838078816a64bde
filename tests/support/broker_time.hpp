#pragma once
// Moving an embedded broker's manual clock from a test. The clock is read on the broker's
// thread only, so it is advanced there (embedded_broker::call). The timers that come due fire
// in a later pass of the loop, and a timer may itself read messages waiting in the socket
// (the broker's tick drains before it judges liveness and expires results), so an empty call
// that merely runs beside the timer is not enough: two of them are. The second is queued only
// once the first has run, so it runs in a pass after the one that ran the due timers, and
// when it returns those timers are over. So when advance() returns, anything the test sends
// next sees the broker after its timers (tick: liveness, result expiry; held tasks; expiries).
//
// advance_alive() moves it past a liveness window while chosen peers stay alive: a peer is
// heard when the broker reads its message, and on a manual clock that is at the clock's time
// then, so they are made to be heard between steps shorter than the window.

#include <algorithm>
#include <string>
#include <vector>

#include "broker_test_peer.hpp"
#include "deadline.hpp"
#include "manual_clock.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace shoal::broker::testing {

inline void advance(embedded_broker& b, shoal::testing::manual_clock& clock, double seconds) {
    b.call([&](shoal::broker::broker&) { clock.advance(seconds); });
    b.call([](shoal::broker::broker&) {});
    b.call([](shoal::broker::broker&) {});
}

// Waits until the worker named `name` was heard since the clock last moved (its last_heard_ms
// is 0): its heartbeats go out while the test waits on any peer, here on `observer`'s
// INSPECTs, which the broker hears too (what else comes to the observer is kept for its
// next()). False (a test failure) after reply_deadline_s.
inline bool heard_since_the_clock_moved(test_peer& observer, const std::string& name) {
    const shoal::testing::deadline until(reply_deadline_s);
    while (!until.passed()) {
        for (const auto& row : observer.inspect_keeping_others("workers").rows) {
            if (str_field(row, "name") == name && int_field(row, "last_heard_ms") == 0) return true;
        }
    }
    ADD_FAILURE() << "worker " << name << " was not heard within " << reply_deadline_s << " s";
    return false;
}

// Moves the clock `seconds` in steps of `step` (shorter than the liveness window), and after
// each step has `observer` (a client) and the workers named heard at the new time: they live
// through the advance, while a peer gone silent dies once its liveness passed. Messages to
// the observer meanwhile (a dead worker's results) wait for its next().
inline void advance_alive(embedded_broker& b, shoal::testing::manual_clock& clock, double seconds,
                          double step, test_peer& observer,
                          const std::vector<std::string>& workers = {}) {
    while (seconds > 1e-9) {
        const double dt = std::min(step, seconds);
        advance(b, clock, dt);
        seconds -= dt;
        (void)observer.inspect_keeping_others("stats");
        for (const std::string& w : workers) {
            if (!heard_since_the_clock_moved(observer, w)) return;
        }
    }
}

}  // namespace shoal::broker::testing
