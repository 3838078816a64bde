#pragma once
// How long the process pool holds the failure of a call whose child died (a crash: a signal,
// an exit, a corrupt frame; not an exception, a time limit or terminate()). A caller that
// retries at once on a crash (a worker whose broker re-delivers the task) would otherwise
// run a function that crashes every time back to back, a crash loop of forks. The first
// crash of a function in a row waits `initial`, each further one twice as long, up to `max`;
// a call of that function that returns (a value or an exception) ends the streak.
// Manager thread only.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <unordered_map>

namespace shoal::detail {

class crash_backoff {
  public:
    crash_backoff(double initial_s, double max_s)
        : initial_s_(std::max(0.0, initial_s)), max_s_(std::max(initial_s_, max_s)) {}

    struct pause {
        std::chrono::steady_clock::duration length;
        unsigned crashes_in_a_row;
    };

    // A call of `name` crashed: how long to hold its failure.
    pause on_crash(const std::string& name) {
        if (initial_s_ <= 0) return {std::chrono::steady_clock::duration::zero(), 0};
        unsigned& streak = streaks_[name];
        if (streak < max_counted_streak) ++streak;
        const double seconds =
            std::min(max_s_, initial_s_ * std::ldexp(1.0, static_cast<int>(streak) - 1));
        return {std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(seconds)),
                streak};
    }

    // A call of `name` returned: its next crash waits `initial` again.
    void on_return(const std::string& name) {
        if (!streaks_.empty()) streaks_.erase(name);  // the common case: nothing crashed
    }

  private:
    // Past this many crashes in a row the pause is max_s_ anyway; the cap keeps ldexp finite.
    static constexpr unsigned max_counted_streak = 64;

    double initial_s_;
    double max_s_;
    std::unordered_map<std::string, unsigned> streaks_;
};

}  // namespace shoal::detail
