#pragma once
// loop_watch: reports a worker loop that something blocks (issue 12), as asyncio's
// slow-callback warning does, from a thread of its own: the loop cannot report its own block
// while it is blocked.
//
// The watch thread posts a probe to the task loop and times its answer. A probe unanswered
// for `threshold_s` is a blocked loop: the watch asks the loop's thread, with a signal
// (SIGURG, ignored by default), which task it is running (the handler only reads
// task_driver::current() into an atomic), and logs a warning naming the task; when the probe
// is finally answered it logs how long the block lasted. Each block is reported once (the two
// lines); blocks coming faster than one per report_interval_s are counted, and the count is
// told with the next report.
//
// Thread-safety: register_task / forget_task on the task loop's thread; the rest is the
// watch thread's.

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "loop_gate.hpp"

namespace shoal::worker_detail {

class loop_watch {
public:
    // Watches the loop behind `task_gate`, run by the calling thread.
    loop_watch(std::shared_ptr<loop_gate> task_gate, std::string worker_name, double threshold_s);
    ~loop_watch();
    loop_watch(const loop_watch&) = delete;
    loop_watch& operator=(const loop_watch&) = delete;

    // A task of the loop, by its driver, and how to name it in a report.
    void register_task(const void* driver, std::string description);
    void forget_task(const void* driver);

private:
    void run();
    void check(std::int64_t now_ns);
    void post_probe(std::int64_t now_ns);
    void sample_running_task();
    std::string culprit();
    bool may_report(std::int64_t now_ns);

    std::shared_ptr<loop_gate> task_gate_;
    std::string worker_name_;
    const std::int64_t threshold_ns_;
    const std::int64_t tick_ns_;
    pthread_t task_thread_;

    // The probe in flight: the task loop stores its number and when it ran.
    struct probe_answer {
        std::atomic<std::uint64_t> number{0};
        std::atomic<std::int64_t> at_ns{0};
    };
    std::shared_ptr<probe_answer> answer_ = std::make_shared<probe_answer>();
    std::uint64_t probe_number_ = 0;
    std::int64_t posted_ns_ = 0;
    bool outstanding_ = false;
    bool block_reported_ = false;     // this block's first line is out
    bool block_counted_ = false;      // ... or it was counted as not reported
    std::string block_culprit_;
    std::int64_t last_report_ns_ = 0;
    std::uint64_t unreported_blocks_ = 0;

    // What the signal handler read on the task loop's thread (its current task's driver).
    std::atomic<const void*> sampled_{nullptr};
    std::atomic<bool> sample_taken_{false};
    bool can_sample_ = false;

    std::mutex tasks_mutex_;
    std::unordered_map<const void*, std::string> tasks_;  // guarded by tasks_mutex_

    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;  // guarded by stop_mutex_
    std::thread thread_;
};

}  // namespace shoal::worker_detail
