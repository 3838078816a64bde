#pragma once
// bucket_series: a ring of fixed-width time buckets (the last `count` buckets of `step`
// seconds), for the queues' rates (1 s buckets) and the charts (10 s buckets over an hour).
// Times are unix seconds; a bucket is reused, zeroed, when its time comes round again, so
// memory is fixed whatever the traffic.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace shoal::dashboard {

class bucket_series {
  public:
    bucket_series(double step_s, std::size_t count);

    // Adds `value` to the bucket of time t (a counter). A time older than the ring is dropped.
    void add(double t, double value = 1.0);
    // Sets the bucket of time t to value (a gauge: the last sample wins).
    void set(double t, double value);
    // The buckets that end at `now` (the last one holds `now`), oldest first: `count` values,
    // missing ones as `missing`.
    std::vector<double> window(double now, double missing = 0.0) const;
    // Sum of the `seconds` of whole buckets before now's bucket, divided by that time: a rate
    // per second that does not dip while the current bucket fills.
    double rate(double now, double seconds) const;
    // True if any bucket of the ring at `now` holds something.
    bool any_since(double now) const;

    double step() const noexcept { return step_; }
    std::size_t count() const noexcept { return keys_.size(); }

  private:
    std::int64_t key_of(double t) const;
    double* slot(double t, bool reset);

    double step_;
    std::vector<std::int64_t> keys_;  // which bucket each slot holds; -1: none
    std::vector<double> values_;
};

}  // namespace shoal::dashboard
