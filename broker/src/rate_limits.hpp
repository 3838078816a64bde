#pragma once
// rate_limits: tasks per second per task name, across the whole cluster, enforced where
// every dispatch happens (the broker). Each limited name has a token bucket: a token per
// 1/rate seconds, holding at most a tenth of a second's worth (at least one), so a limit is
// kept over any window longer than that and bursts stay small. A name without a limit
// costs one branch per dispatched task.
//
// Limits are written as Celery writes them: "add=10/s", "fetch=100/m", "report=5/h", or a
// bare number of tasks per second ("add=10").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "name_table.hpp"

namespace shoal::broker {

struct rate_limit_spec {
    std::string name;
    double per_second = 0;
};

// Parses "name=N/s" (or /m, /h, or no unit); throws config_error naming the text.
rate_limit_spec parse_rate_limit(std::string_view text);
// A comma-separated list of them (empty: none).
std::vector<rate_limit_spec> parse_rate_limits(std::string_view text);

class rate_limits {
  public:
    void set(name_id name, double per_second);
    bool limited(name_id name) const noexcept {
        return name < buckets_.size() && buckets_[name].per_second > 0;
    }
    // Takes a token if one is there at `now` (seconds, monotonic).
    bool try_take(name_id name, double now);
    // When the next token of a limited name is due (now if it has one).
    double next_token_at(name_id name, double now);
    // The earliest time a name that was refused a token gets one again; cleared by take.
    std::optional<double> take_wake_up();
    // Rows for INSPECT: (name id, per second, tokens now).
    template <class F>
    void for_each(F&& f) const {
        for (name_id n = 0; n < buckets_.size(); ++n) {
            if (buckets_[n].per_second > 0) f(n, buckets_[n].per_second, buckets_[n].tokens);
        }
    }

  private:
    struct bucket {
        double per_second = 0;
        double capacity = 1;
        double tokens = 1;
        double at = 0;  // time of the last refill
    };
    void refill(bucket& b, double now) const;

    std::vector<bucket> buckets_;  // indexed by task name id
    std::optional<double> wake_up_;
};

}  // namespace shoal::broker
