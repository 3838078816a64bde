#pragma once
// The errors a remote future can fail with, besides common's (timeout_error from get(timeout),
// cancelled_error once revoked). Every one derives from shoal::error.
//
//   remote_task_error    the task raised on a worker (outcome `failed`): type() and what() as
//                        the worker reported them, where() the worker's name
//   task_refused         the broker refused the task at submit (ACCEPTED's refused list);
//                        code() is e.g. "unsupported", "bad_task", "conflict", or
//                        "unavailable" (retryable(): a durable broker could not store it;
//                        nothing will run; submit it again later)
//   unknown_task_error   no worker can run the task's name (outcome `unknown_task`)
//   time_limit_exceeded  (common's) the task ran past its hard or soft time limit: what()
//                        names the limit and the worker
//   task_lost_error      every attempt ended with a worker's death (outcome `lost`); code()
//                        is "dead_letter" when the broker set it aside for `shoal retry`
//   task_expired_error   the task's expiry passed before it started (outcome `expired`)
//   result_unknown_error fetch: the broker has no record of this task id
//   result_expired_error fetch: the result existed but its time to live passed
//   broker_error         the broker answered ERROR about this task or request
//   client_closed_error  the client closed before the answer arrived
//   payload_too_large    one task is larger than the broker's message limit
//   invalid_submit_error bad per-submit input (empty name, priority out of range, ...)

#include <string>
#include <utility>

#include "shoal/common/errors.hpp"

namespace shoal {

class remote_task_error : public task_error {
  public:
    remote_task_error(std::string type, const std::string& message, std::string where)
        : task_error(std::move(type), message), where_(std::move(where)) {}
    // Who raised it: the worker's name (or "broker").
    const std::string& where() const noexcept { return where_; }

  private:
    std::string where_;
};

// Base of the broker's verdicts that carry a code and an origin.
class remote_error : public error {
  public:
    remote_error(std::string code, const std::string& message, std::string where)
        : error(message), code_(std::move(code)), where_(std::move(where)) {}
    const std::string& code() const noexcept { return code_; }
    const std::string& where() const noexcept { return where_; }

  private:
    std::string code_;
    std::string where_;
};

class task_refused : public remote_error {
  public:
    using remote_error::remote_error;
    // The refusal is temporary (the broker's Redis is down): the same submit may succeed later.
    bool retryable() const noexcept { return code() == "unavailable"; }
};

class unknown_task_error : public remote_error {
  public:
    using remote_error::remote_error;
};

class task_lost_error : public remote_error {
  public:
    using remote_error::remote_error;
};

class task_expired_error : public remote_error {
  public:
    using remote_error::remote_error;
};

class broker_error : public remote_error {
  public:
    using remote_error::remote_error;
};

class result_unknown_error : public error {
  public:
    using error::error;
};

class result_expired_error : public error {
  public:
    using error::error;
};

class client_closed_error : public executor_shutdown_error {
  public:
    explicit client_closed_error(
        const std::string& message = "the client closed before the task's result arrived")
        : executor_shutdown_error(message) {}
};

class payload_too_large : public error {
  public:
    using error::error;
};

class invalid_submit_error : public error {
  public:
    using error::error;
};

}  // namespace shoal
