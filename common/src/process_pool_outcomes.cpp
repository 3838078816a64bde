// A child's response to a call, turned into the call's value or typed exception (the process
// pool's error mapping; process_pool_manager.hpp).

#include <chrono>
#include <optional>

#include <spdlog/spdlog.h>

#include "process_pool_manager.hpp"
#include "shoal/common/errors.hpp"

namespace shoal {

namespace wire = detail::pool_wire;

namespace {

// The exception a call's future gets for a response other than ok. The runtime's own types
// come back as themselves, so `catch (soft_time_limit_exceeded&)` or `catch (retry_task&)`
// works across the process boundary; anything else keeps its type name in a task_error.
std::exception_ptr failure_of(const wire::response& response) {
    switch (response.kind) {
        case wire::response_kind::error:
            return std::make_exception_ptr(task_error(response.error_type, response.message));
        case wire::response_kind::soft_time_limit:
            return std::make_exception_ptr(soft_time_limit_exceeded(response.message));
        case wire::response_kind::retry: {
            std::optional<std::chrono::milliseconds> countdown;
            if (response.retry_countdown_ms)
                countdown = std::chrono::milliseconds(*response.retry_countdown_ms);
            return std::make_exception_ptr(retry_task(countdown, response.message));
        }
        case wire::response_kind::unknown_function:
        case wire::response_kind::ok:
        case wire::response_kind::ready:  // never valid here; report rather than hang the caller
            break;
    }
    return std::make_exception_ptr(unknown_function_error(response.message));
}

}  // namespace

void process_pool_executor::manager::on_response(child_slot& child,
                                                 const wire::response& response) {
    if (!child.current || response.id != child.current->id) {
        spdlog::warn("process pool child {} sent a response for no call (id {})", child.pid,
                     response.id);
        return;
    }
    queued_call call = std::move(*child.current);
    child.current.reset();
    child.deadline.reset();
    child.soft_deadline.reset();
    ++child.calls_done;
    // A recycled child is replaced before the future settles, as in end_child.
    if (max_tasks_per_child_ && child.calls_done >= *max_tasks_per_child_) {
        end_child(child, ending::ask_to_stop);
    }
    // Before the future settles: a caller that submits again at once can go direct.
    offer_lane(child);
    if (response.kind != wire::response_kind::unknown_function) backoff_.on_return(call.name);
    if (response.kind == wire::response_kind::ok) {
        call.completion->succeed(response.result);
    } else {
        call.completion->fail(failure_of(response));
    }
}

}  // namespace shoal
