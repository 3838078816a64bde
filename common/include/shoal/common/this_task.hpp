#pragma once
// shoal::this_task: what a task running on a pool thread or in a process-pool child can ask
// about itself without changing its signature: whether it has been asked to stop.
//
//     long crunch(long n) {                        // a thread- or process-pool task
//         for (long i = 0; i < n; ++i) {
//             if (shoal::this_task::stop_requested()) {
//                 throw shoal::soft_time_limit_exceeded("stopped at item " + std::to_string(i));
//             }
//             step(i);
//         }
//         return n;
//     }
//
// Who asks: a worker at a task's soft time limit (thread and process pools), and a worker
// told to revoke a running thread-pool task with terminate (a thread cannot be killed). A
// task that notices may throw, return early, or ignore it; nothing is forced.
//
// Where it works:
//   - on a thread that runs inside a stop_scope (the worker's thread-pool tasks do):
//     stop_requested() and stop_token() read that scope's std::stop_token, so
//     std::stop_callback and std::condition_variable_any::wait(lock, token, pred) work too;
//   - in a process_pool_executor child: the pool sends the child a signal (SIGUSR1) at the
//     call's soft limit and a handler sets a flag, reset for every call. Poll stop_requested():
//     no thread delivers the request to a std::stop_token there, so stop_token() gives a
//     token that turns stopped (and runs its stop_callbacks) only when stop_requested() or
//     stop_token() is called after the signal arrived;
//   - anywhere else (the event loop's thread included: a coroutine task is cancelled at its
//     next co_await instead): stop_requested() is false and stop_token() has no stop state.
// Thread-safety: each thread sees its own scope; stop_scope is made and destroyed on one thread.

#include <stop_token>

namespace shoal::this_task {

// Whether the running task has been asked to stop.
bool stop_requested() noexcept;

// The running task's stop token (see above for process-pool children).
std::stop_token stop_token() noexcept;

// Makes `token` the current task's token on this thread until destroyed (scopes nest; the
// previous one comes back). For executors and runtimes: the worker puts one around every
// thread-pool task it runs.
class stop_scope {
  public:
    explicit stop_scope(std::stop_token token) noexcept;
    ~stop_scope();
    stop_scope(const stop_scope&) = delete;
    stop_scope& operator=(const stop_scope&) = delete;

  private:
    std::stop_token token_;
    const std::stop_token* previous_;
};

}  // namespace shoal::this_task
