#pragma once
// tombstones: the ids of tasks whose results expired, remembered for the rest of the dedup
// window, so that FETCH answers `expired` rather than `unknown`, and a SUBMIT of such an id is
// recognised (the same body: it ran already; another body: a conflict) and never runs twice.
// Compact and bounded: an id is kept as a 64-bit fingerprint with its body hash (16 bytes
// plus the index), until its window ends, and never more than `capacity` of them (the oldest
// go first: past the capacity the window is shorter, and stats say so).
//
// A fingerprint collision would make one never-seen id answer `expired` instead of `unknown`
// (and its SUBMIT be taken for a repeat): odds of about n / 2^64 per id, random or chosen (the
// mix is keyed by a per-process secret, so a client cannot aim two ids at one fingerprint).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>

#include "shoal/proto/task_id.hpp"

namespace shoal::broker {

class tombstones {
  public:
    explicit tombstones(std::size_t capacity) : capacity_(capacity) {}

    // Remembers an id (and the body hash it was submitted with) until `forget_at`; calls come
    // in order of forget_at.
    void add(const proto::task_id& id, std::uint64_t body_hash, double forget_at);
    bool contains(const proto::task_id& id) const { return find(id).has_value(); }
    // The body hash the id was submitted with, if it is remembered.
    std::optional<std::uint64_t> find(const proto::task_id& id) const;
    // Forgets those whose time has come.
    void trim(double now);
    std::size_t size() const noexcept { return order_.size(); }
    // Forgotten before their window ended because the capacity was reached.
    std::uint64_t forgotten_early() const noexcept { return forgotten_early_; }

  private:
    struct mark {
        std::uint64_t fingerprint;
        double forget_at;
    };
    struct kept {
        std::uint64_t body_hash;
        double forget_at;  // tells this mark from an older one of the same fingerprint
    };
    static std::uint64_t fingerprint(const proto::task_id& id) noexcept;
    void forget_oldest();

    std::size_t capacity_;
    std::deque<mark> order_;  // oldest first
    std::unordered_map<std::uint64_t, kept> by_fingerprint_;
    std::uint64_t forgotten_early_ = 0;
};

}  // namespace shoal::broker
