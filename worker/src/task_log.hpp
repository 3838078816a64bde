#pragma once
// task_log: the worker's task lines at info, as Celery's worker writes them ("Task add[id]
// received", "... succeeded in 0.0008s: 5", "... failed in 0.01s: type: message"), carrying
// the task id, name and worker as fields (log_format.hpp: keys of a json line). At most `rate`
// lines per second, so that a worker running 100,000 tasks a second does not spend itself on
// its log: the lines left out are counted in one line a second later.

#include <cstdint>
#include <string>
#include <string_view>

#include "shoal/common/event_loop.hpp"
#include "shoal/common/handle.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::worker_detail {

class task_log {
  public:
    task_log(event_loop& loop, std::string worker, std::uint32_t rate)
        : loop_(loop), worker_(std::move(worker)), rate_(rate) {}
    ~task_log();
    task_log(const task_log&) = delete;
    task_log& operator=(const task_log&) = delete;

    void received(const proto::dispatched_task& task, double now);
    // The outcome as reported; runtime_s when the task ran.
    void finished(std::string_view name, const proto::outcome& o, double runtime_s, double now);

  private:
    // Whether a line may go now; one left out is counted, and told a second later.
    bool allow(double now);
    void tell_left_out();
    void write(std::string_view name, const proto::task_id& id, const std::string& text,
               double now);

    event_loop& loop_;
    std::string worker_;
    std::uint32_t rate_;
    double window_start_ = -1;
    std::uint32_t in_window_ = 0;
    std::uint64_t skipped_ = 0;
    timer_handle tell_timer_;
};

}  // namespace shoal::worker_detail
