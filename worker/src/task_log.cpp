#include "task_log.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "shoal/common/log_format.hpp"

namespace shoal::worker_detail {

task_log::~task_log() {
    if (tell_timer_.pending()) tell_timer_.cancel();
    if (skipped_ > 0) tell_left_out();  // a worker leaving says what it left out too
}

bool task_log::allow(double now) {
    if (rate_ == 0 || !spdlog::should_log(spdlog::level::info)) return false;
    if (now - window_start_ >= 1.0) {
        window_start_ = now;
        in_window_ = 0;
    }
    if (in_window_ < rate_) {
        ++in_window_;
        return true;
    }
    if (skipped_++ == 0) tell_timer_ = loop_.call_later(1.0, [this] { tell_left_out(); });
    return false;
}

void task_log::tell_left_out() {
    spdlog::info("worker {}: {} task lines left out in the last second (task_log_rate {})", worker_,
                 skipped_, rate_);
    skipped_ = 0;
}

void task_log::write(std::string_view name, const proto::task_id& id, const std::string& text,
                     double now) {
    if (!allow(now)) return;
    const std::string hex = id.to_hex();
    const log_fields fields{{"task_id", hex}, {"task", name}, {"worker", worker_}};
    spdlog::info("task {}[{}] {}", name, hex, text);
}

void task_log::received(const proto::dispatched_task& task, double now) {
    if (rate_ == 0) return;
    write(task.name, task.id, "received", now);
}

void task_log::finished(std::string_view name, const proto::outcome& o, double runtime_s,
                        double now) {
    if (rate_ == 0) return;
    if (o.status == proto::task_status::ok) {
        write(name, o.id, fmt::format("succeeded in {:.6f}s", runtime_s), now);
    } else {
        write(name, o.id,
              fmt::format("{} in {:.6f}s: {}: {}", proto::to_string(o.status), runtime_s,
                          o.error.type, o.error.message),
              now);
    }
}

}  // namespace shoal::worker_detail
