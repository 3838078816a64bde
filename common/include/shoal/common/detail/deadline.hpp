#pragma once
// Timeouts of the blocking concurrent API: a caller's `std::optional<double>` seconds becomes
// an optional steady_clock deadline once, at the start of the call, so that a call made of
// several waits (map, wait, as_completed) honours one overall budget.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

namespace shoal::concurrent::detail {

using clock = std::chrono::steady_clock;
using deadline = std::optional<clock::time_point>;  // nullopt: wait forever

// Longer timeouts are treated as this, so that now() + timeout cannot overflow.
inline constexpr double max_timeout_seconds = 1e9;

// A negative or NaN timeout means "do not wait", as Python's Condition.wait treats it.
inline deadline deadline_after(std::optional<double> timeout_seconds) {
    if (!timeout_seconds) {
        return std::nullopt;
    }
    const double seconds =
        std::isnan(*timeout_seconds) ? 0.0 : std::clamp(*timeout_seconds, 0.0, max_timeout_seconds);
    return clock::now() +
           std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
}

// Seconds left until `until` (never negative), or nullopt for "forever".
inline std::optional<double> seconds_until(const deadline& until) {
    if (!until) {
        return std::nullopt;
    }
    const std::chrono::duration<double> left = *until - clock::now();
    return std::max(left.count(), 0.0);
}

}  // namespace shoal::concurrent::detail
