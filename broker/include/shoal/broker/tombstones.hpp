#pragma once
// tombstones: the ids of results that expired, remembered for a while so that FETCH can
// answer `expired` rather than `unknown`. Compact and bounded: an id is kept as a 64-bit
// fingerprint, for at most `keep_s` seconds, and never more than `capacity` of them (the
// oldest go first). A fingerprint collision would make one never-seen id answer `expired`
// instead of `unknown`: with random 128-bit ids, odds of about n / 2^64.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_set>

#include "shoal/proto/task_id.hpp"

namespace shoal::broker {

class tombstones {
public:
    tombstones(std::size_t capacity, double keep_s) : capacity_(capacity), keep_s_(keep_s) {}

    void add(const proto::task_id& id, double now);
    bool contains(const proto::task_id& id) const;
    // Forgets the ones older than keep_s.
    void trim(double now);
    std::size_t size() const noexcept { return order_.size(); }

private:
    struct mark {
        std::uint64_t fingerprint;
        double at;
    };
    static std::uint64_t fingerprint(const proto::task_id& id) noexcept;
    void forget_oldest();

    std::size_t capacity_;
    double keep_s_;
    std::deque<mark> order_;                 // oldest first
    std::unordered_multiset<std::uint64_t> set_;  // multi: an id may expire twice
};

}  // namespace shoal::broker
