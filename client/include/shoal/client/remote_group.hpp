#pragma once
// shoal::remote_group<T>: the futures of a group of tasks (Celery's GroupResult), in the order
// they were given.
//
//   shoal::remote_group<long> g = client.submit(shoal::group(count.s(a), count.s(b)));
//   std::vector<long> counts = g.get(30.0);   // gathers in order; the first error is thrown
//   auto merged = client.submit(merge, g);     // a future argument: merge(std::vector<long>)
//
// Given where a task declares std::vector<T>, the broker passes the array of the group's
// results (a list input, PROTOCOL.md section 6.5): the callback of a chord.

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "shoal/client/combinators.hpp"
#include "shoal/client/remote_future.hpp"
#include "shoal/proto/task_id.hpp"

namespace shoal {

template <class T>
class remote_group {
  public:
    using value_type = T;

    remote_group() = default;
    explicit remote_group(std::vector<remote_future<T>> futures) : futures_(std::move(futures)) {}

    const std::vector<remote_future<T>>& futures() const noexcept { return futures_; }
    std::size_t size() const noexcept { return futures_.size(); }
    const remote_future<T>& operator[](std::size_t i) const { return futures_.at(i); }
    std::vector<proto::task_id> ids() const {
        std::vector<proto::task_id> out;
        out.reserve(futures_.size());
        for (const remote_future<T>& f : futures_) out.push_back(f.id());
        return out;
    }

    // Every result, in order (concurrent::gather): the timeout bounds the whole wait
    // (timeout_error), the first error in order is thrown.
    auto get(std::optional<double> timeout_seconds = {}) const {
        return concurrent::gather(futures_, timeout_seconds);
    }
    bool done() const {
        for (const remote_future<T>& f : futures_) {
            if (!f.done()) return false;
        }
        return true;
    }
    // Revokes every task of the group not finished yet.
    void cancel() const {
        for (const remote_future<T>& f : futures_) f.cancel();
    }

  private:
    std::vector<remote_future<T>> futures_;
};

}  // namespace shoal
