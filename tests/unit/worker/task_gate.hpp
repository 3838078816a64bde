#pragma once
// task_gate: lets a task run until the test opens the gate, so that "this task is still
// running" is a state the test holds, not a duration it hopes outlasts its next step (on a
// busy machine a 300 ms task can end before the worker has read the CANCEL sent after it).
// Tasks wait for it on a thread (wait) or on the loop (opened, below); the test opens it.
//
// Every wait is bounded, so that a failing test does not leave a worker thread blocked
// forever: a fixture opens the gate before its worker is destroyed.

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"

namespace shoal::testing {

class task_gate {
  public:
    // How long a task waits at most: longer than any test takes to open the gate.
    static constexpr double bound_s = 30.0;

    // Blocks until the gate opens (or bound_s passed); true if it opened.
    bool wait(double seconds = bound_s) {
        std::unique_lock lock(mutex_);
        return opened_.wait_for(lock, std::chrono::duration<double>(seconds),
                                [&] { return open_; });
    }
    bool is_open() const {
        std::lock_guard lock(mutex_);
        return open_;
    }
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        opened_.notify_all();
    }
    // For the next test.
    void close() {
        std::lock_guard lock(mutex_);
        open_ = false;
    }

  private:
    mutable std::mutex mutex_;
    std::condition_variable opened_;
    bool open_ = false;
};

// Closes a gate for one test and opens it when the test's scope ends. Declared after the
// worker_thread, it goes first, so a gated task that a failing test never released does not
// hold up the worker's drain for the whole of task_gate::bound_s.
class gate_scope {
  public:
    explicit gate_scope(task_gate& gate) : gate_(gate) { gate_.close(); }
    ~gate_scope() { gate_.open(); }
    gate_scope(const gate_scope&) = delete;
    gate_scope& operator=(const gate_scope&) = delete;

  private:
    task_gate& gate_;
};

// On the loop: polls, because the gate is opened from the test's thread.
inline task<bool> opened(task_gate& gate, double seconds = task_gate::bound_s) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!gate.is_open()) {
        if (std::chrono::steady_clock::now() >= until) co_return false;
        co_await shoal::sleep(0.005);
    }
    co_return true;
}

}  // namespace shoal::testing
