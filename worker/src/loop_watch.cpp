#include "loop_watch.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include <spdlog/spdlog.h>

#include "shoal/common/detail/task_driver.hpp"

namespace shoal::worker_detail {
namespace {

// The signal that asks the loop's thread which task it runs. SIGURG: ignored by default (a
// stray one harms nothing) and used by nothing else here.
constexpr int sample_signal = SIGURG;
// At most one report (its two lines) per this many seconds; blocks in between are counted.
constexpr std::int64_t report_interval_ns = 5'000'000'000;
// How long the watch waits for the loop's thread to take the signal.
constexpr auto sample_wait = std::chrono::milliseconds(50);

struct sample_target {
    std::atomic<const void*>* driver;
    std::atomic<bool>* taken;
};
// Set on the watched loop's thread: where its signal handler writes.
thread_local sample_target* current_target = nullptr;

extern "C" void on_sample_signal(int) {
    // Async-signal-safe: a thread-local read and two lock-free atomic stores.
    if (sample_target* target = current_target) {
        target->driver->store(detail::task_driver::current(), std::memory_order_relaxed);
        target->taken->store(true, std::memory_order_release);
    }
}

// Installs the handler once per process, unless the program has its own for this signal.
bool install_sample_handler() {
    static const bool installed = [] {
        struct sigaction old {};
        if (::sigaction(sample_signal, nullptr, &old) != 0) return false;
        if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) return false;
        struct sigaction action {};
        action.sa_handler = on_sample_signal;
        action.sa_flags = SA_RESTART;
        ::sigemptyset(&action.sa_mask);
        return ::sigaction(sample_signal, &action, nullptr) == 0;
    }();
    return installed;
}

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

loop_watch::loop_watch(std::shared_ptr<loop_gate> task_gate, std::string worker_name, double threshold_s)
    : task_gate_(std::move(task_gate)),
      worker_name_(std::move(worker_name)),
      threshold_ns_(static_cast<std::int64_t>(threshold_s * 1e9)),
      // A quarter of the threshold, within [5 ms, 100 ms]: the block is seen within a tick.
      tick_ns_(std::clamp<std::int64_t>(threshold_ns_ / 4, 5'000'000, 100'000'000)),
      task_thread_(::pthread_self()) {
    static thread_local sample_target target;
    target = {&sampled_, &sample_taken_};
    current_target = &target;
    can_sample_ = install_sample_handler();
    thread_ = std::thread([this] { run(); });
}

loop_watch::~loop_watch() {
    {
        std::lock_guard lock(stop_mutex_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
    thread_.join();
    current_target = nullptr;
}

void loop_watch::register_task(const void* driver, std::string description) {
    std::lock_guard lock(tasks_mutex_);
    tasks_[driver] = std::move(description);
}

void loop_watch::forget_task(const void* driver) {
    std::lock_guard lock(tasks_mutex_);
    tasks_.erase(driver);
}

void loop_watch::run() {
    std::unique_lock lock(stop_mutex_);
    while (!stopping_) {
        lock.unlock();
        check(now_ns());
        lock.lock();
        stop_cv_.wait_for(lock, std::chrono::nanoseconds(tick_ns_), [this] { return stopping_; });
    }
}

void loop_watch::check(std::int64_t now) {
    if (outstanding_) {
        if (answer_->number.load(std::memory_order_acquire) == probe_number_) {
            const std::int64_t lasted = answer_->at_ns.load(std::memory_order_relaxed) - posted_ns_;
            if (block_reported_) {
                spdlog::warn("worker {}: {} blocked the loop for {:.2f} s in all", worker_name_, block_culprit_,
                             seconds(lasted));
            }
            outstanding_ = false;
            block_reported_ = false;
            block_counted_ = false;
        } else if (!block_reported_ && !block_counted_ && now - posted_ns_ >= threshold_ns_) {
            if (!may_report(now)) {
                ++unreported_blocks_;
                block_counted_ = true;
                return;
            }
            sample_running_task();
            block_culprit_ = culprit();
            std::string also;
            if (unreported_blocks_ > 0) {
                also = " (and " + std::to_string(unreported_blocks_) + " block(s) not reported since the last report)";
                unreported_blocks_ = 0;
            }
            spdlog::warn("worker {}: {} has blocked the loop for {:.2f} s so far{}; a loop task must await, "
                         "never block: the loop's other tasks wait (heartbeats go on)",
                         worker_name_, block_culprit_, seconds(now - posted_ns_), also);
            block_reported_ = true;
            last_report_ns_ = now;
        }
    }
    if (!outstanding_) post_probe(now);
}

void loop_watch::post_probe(std::int64_t now) {
    const std::uint64_t number = ++probe_number_;
    posted_ns_ = now;
    outstanding_ = task_gate_->post([answer = answer_, number] {
        answer->at_ns.store(now_ns(), std::memory_order_relaxed);
        answer->number.store(number, std::memory_order_release);
    });
}

bool loop_watch::may_report(std::int64_t now) {
    return last_report_ns_ == 0 || now - last_report_ns_ >= report_interval_ns;
}

void loop_watch::sample_running_task() {
    sample_taken_.store(false, std::memory_order_relaxed);
    if (!can_sample_ || ::pthread_kill(task_thread_, sample_signal) != 0) return;
    const auto until = std::chrono::steady_clock::now() + sample_wait;
    while (!sample_taken_.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

std::string loop_watch::culprit() {
    if (!sample_taken_.load(std::memory_order_acquire)) return "an unidentified task or callback";
    const void* driver = sampled_.load(std::memory_order_relaxed);
    if (driver == nullptr) return "a callback (no task)";
    std::lock_guard lock(tasks_mutex_);
    const auto it = tasks_.find(driver);
    if (it == tasks_.end()) return "a coroutine the worker did not start itself (made inside a loop task)";
    return it->second;
}

}  // namespace shoal::worker_detail
