#pragma once
// The exception types of the runtime. Every error the library raises derives from
// shoal::error, so `catch (const shoal::error&)` catches them all; the names follow
// Python's asyncio and concurrent.futures.

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace shoal {

// Base of every exception the library throws.
class error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// An operation is not allowed in the object's current state: reading the result of a
// pending future, settling a future twice (asyncio.InvalidStateError).
class invalid_state_error : public error {
  public:
    using error::error;
};

// The awaited operation was cancelled (asyncio.CancelledError). Thrown into a coroutine at
// its next suspension after its task's cancel(); the coroutine may catch it.
class cancelled_error : public error {
  public:
    explicit cancelled_error(const std::string& message = "cancelled") : error(message) {}
};

// A deadline passed (asyncio.TimeoutError / concurrent.futures.TimeoutError).
class timeout_error : public error {
  public:
    explicit timeout_error(const std::string& message = "timed out") : error(message) {}
};

// Misuse of an event loop: running one that already runs, closing a running one, using a
// closed one, awaiting outside a task (Python raises RuntimeError for these).
class event_loop_error : public error {
  public:
    using error::error;
};

// submit() after shutdown() (Python: RuntimeError "cannot schedule new futures after shutdown").
class executor_shutdown_error : public error {
  public:
    explicit executor_shutdown_error(
        const std::string& message = "cannot schedule new futures after shutdown")
        : error(message) {}
};

// A process-pool child died while running a call (SIGKILL, segfault, abort): Python's
// BrokenProcessPool, except that Shoal replaces the child and the pool stays usable.
class broken_process_pool : public error {
  public:
    using error::error;
};

// A call ran past its hard time limit and was stopped.
class time_limit_exceeded : public error {
  public:
    using error::error;
};

// A task ran past its soft time limit. Thrown by the task itself (a thread- or process-pool
// function that sees shoal::this_task::stop_requested(), this_task.hpp), so it may stop
// cleanly; derives from time_limit_exceeded so that one catch serves both limits.
class soft_time_limit_exceeded : public time_limit_exceeded {
  public:
    explicit soft_time_limit_exceeded(
        const std::string& message = "the task ran past its soft time limit")
        : time_limit_exceeded(message) {}
};

// A running call was stopped on request (process_pool_executor::terminate): its child was
// killed and replaced.
class terminated_error : public error {
  public:
    explicit terminated_error(const std::string& message = "terminated on request")
        : error(message) {}
};

// Thrown by a task that asks to be run again: a worker reports it as failed with error type
// "shoal::retry", the reason as message and the countdown (how long to wait before the next
// attempt) when given; the broker decides whether to retry (max_retries).
//     throw shoal::retry_task(std::chrono::seconds(5), "the upstream API is rate-limited");
//     throw shoal::retry_task("try again");      // the broker's own delay
class retry_task : public error {
  public:
    explicit retry_task(const std::string& reason = "the task asked to be retried")
        : error(reason) {}
    explicit retry_task(std::optional<std::chrono::milliseconds> countdown,
                        const std::string& reason = "the task asked to be retried")
        : error(reason), countdown_(countdown) {
        if (countdown_ && countdown_->count() < 0) countdown_ = std::chrono::milliseconds(0);
    }
    // How long to wait before the next attempt; nullopt leaves it to the broker.
    const std::optional<std::chrono::milliseconds>& countdown() const noexcept {
        return countdown_;
    }
    // The reason (what()).
    std::string reason() const { return what(); }

  private:
    std::optional<std::chrono::milliseconds> countdown_;
};

// No function is registered under the name a caller used.
class unknown_function_error : public error {
  public:
    using error::error;
};

// A task or pool function raised an exception where the caller cannot rethrow the original
// object (another process, another machine): it carries the original type's name and message.
class task_error : public error {
  public:
    task_error(std::string type, const std::string& message)
        : error(message), type_(std::move(type)) {}
    // The original exception's type name, e.g. "std::invalid_argument".
    const std::string& type() const noexcept { return type_; }

  private:
    std::string type_;
};

// Whether `error` holds an exception of type E (or derived from it); false for none.
//     if (shoal::holds<shoal::cancelled_error>(f.exception())) ...
template <class E>
bool holds(const std::exception_ptr& error) noexcept {
    if (!error) return false;
    try {
        std::rethrow_exception(error);
    } catch (const E&) {
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace shoal
