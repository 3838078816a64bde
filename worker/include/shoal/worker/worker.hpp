#pragma once
// shoal::worker: a worker daemon in a library. It connects to a broker, announces the tasks
// its registry holds, takes work as credit allows, runs each task on the event loop, the
// thread pool or the process pool, and sends results back in batches.
//
//     int main() {
//         shoal::worker w({.broker = "tcp://10.0.0.5:5555"});
//         w.registry().define(add, [](int a, int b) { return a + b; }, shoal::run_on::thread_pool);
//         return w.run();   // until SIGTERM/SIGINT (or stop()) and a drain
//     }
//
// run() blocks the calling thread, which becomes the loop's thread. With handle_signals, the
// first SIGTERM or SIGINT drains (no new work; what is held finishes within the grace
// period; results sent; BYE) and run() returns; a second one exits the process at once with
// status 128 + the signal number. Define every task before run(): the process pool forks its
// children when run() starts.
//
// Thread-safety: registry() and run() from one thread; stop() from any thread.

#include <memory>
#include <string>

#include "shoal/worker/task_registry.hpp"
#include "shoal/worker/worker_options.hpp"

namespace shoal {

namespace worker_detail {
class worker_core;
}

class worker {
  public:
    // Throws std::invalid_argument for options that cannot work (see resolve()).
    explicit worker(const worker_options& options = {});
    ~worker();
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    task_registry& registry() noexcept;
    const resolved_worker_options& options() const noexcept;
    const std::string& name() const noexcept { return options().name; }

    // Serves until drained. Returns 0 when everything held finished and was reported, 1 when
    // the grace period ran out first (the broker re-queues what was not reported), 2 when the
    // broker refuses this worker's key (ERROR forbidden to its HELLO). Throws
    // shoal::error if the worker cannot start (it ran before; a pool failed to start).
    int run();

    // Starts a drain, as the first SIGTERM does. Any thread; called before run(), run()
    // returns 0 at once (nothing is held yet).
    void stop();

  private:
    std::unique_ptr<worker_detail::worker_core> core_;
};

}  // namespace shoal
