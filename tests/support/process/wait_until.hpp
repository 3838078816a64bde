#pragma once
#include <chrono>
#include <thread>

namespace shoal::testing {

// Polls `done` every few milliseconds until it is true or timeout_s passes; returns its last
// value. Every wait in the integration tests goes through this, so none is unbounded.
template <class Predicate>
bool wait_until(Predicate&& done, double timeout_s) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return done();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

}  // namespace shoal::testing
