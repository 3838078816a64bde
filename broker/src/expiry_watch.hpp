#pragma once
// expiry_watch: the times at which tasks with an `expires_ms` option stop being allowed to
// start. A heap by time; each entry names the task and its submission seq, so an entry for a
// task that finished, or was submitted anew, is recognised as stale by the caller.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "shoal/proto/task_id.hpp"

namespace shoal::broker {

class expiry_watch {
  public:
    struct entry {
        double at = 0;
        proto::task_id id;
        std::uint64_t seq = 0;
    };

    void add(double at, const proto::task_id& id, std::uint64_t seq);
    std::optional<double> next_at() const;
    // f(const entry&) for every entry due at `now`, earliest first; they are removed.
    template <class F>
    std::size_t take_due(double now, F&& f);
    std::size_t size() const noexcept { return heap_.size(); }

  private:
    struct later {
        bool operator()(const entry& a, const entry& b) const noexcept { return a.at > b.at; }
    };
    std::vector<entry> heap_;
};

template <class F>
std::size_t expiry_watch::take_due(double now, F&& f) {
    std::size_t n = 0;
    while (!heap_.empty() && heap_.front().at <= now) {
        std::pop_heap(heap_.begin(), heap_.end(), later{});
        const entry e = heap_.back();
        heap_.pop_back();
        f(e);
        ++n;
    }
    return n;
}

}  // namespace shoal::broker
