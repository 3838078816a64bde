#pragma once
// The exception types of the runtime. Every error the library raises derives from
// shoal::error, so `catch (const shoal::error&)` catches them all; the names follow
// Python's asyncio and concurrent.futures.

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
    explicit executor_shutdown_error(const std::string& message =
                                         "cannot schedule new futures after shutdown")
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

}  // namespace shoal
