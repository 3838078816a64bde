// Time limits, terminate() and crash backoff holds in the process pool's manager
// (process_pool_manager.hpp).

#include <csignal>
#include <sstream>

#include <spdlog/spdlog.h>

#include "process_pool_manager.hpp"
#include "shoal/common/errors.hpp"
#include "this_task_child.hpp"

namespace shoal {

namespace wire = detail::pool_wire;
using namespace detail::pool;  // the manager's constants and records

std::string detail::pool::seconds_text(double seconds) {
    std::ostringstream text;
    text << seconds << " s";
    return text.str();
}

void process_pool_executor::manager::enforce_time_limits() {
    const auto now = clock::now();
    for (auto& child : children_) {
        if (!child.current) {
            continue;
        }
        if (child.soft_deadline && *child.soft_deadline <= now) {
            // Once per call; the child's handler sets the flag this_task::stop_requested() reads.
            child.soft_deadline.reset();
            ::kill(child.pid, detail::this_task_child::stop_signal);
        }
        if (!child.deadline || *child.deadline > now) {
            continue;
        }
        const pid_t pid = child.pid;
        const std::string& name = child.current->name;
        kill_running(child, std::make_exception_ptr(time_limit_exceeded(
                                "call to '" + name + "' exceeded its time limit of " +
                                seconds_text(child.current->time_limit.value_or(0.0)) + "; child " +
                                std::to_string(pid) + " was killed")));
    }
}

void process_pool_executor::manager::terminate_calls(
    const std::vector<std::shared_ptr<const void>>& states) {
    for (auto& child : children_) {
        const auto matches = [&child](const std::shared_ptr<const void>& state) {
            return state.get() == child.current->completion->key();
        };
        if (!child.current || child.pid <= 0 ||
            std::none_of(states.begin(), states.end(), matches)) {
            continue;  // a call not running (finished, or never ours) is left alone
        }
        const pid_t pid = child.pid;
        kill_running(child, std::make_exception_ptr(terminated_error(
                                "call to '" + child.current->name + "' was terminated; child " +
                                std::to_string(pid) + " was killed")));
    }
}

void process_pool_executor::manager::hold_failure(queued_call call, std::string message) {
    const auto pause = backoff_.on_crash(call.name);
    if (pause.length <= clock::duration::zero() || stopping_) {
        call.completion->fail(std::make_exception_ptr(broken_process_pool(message)));
        return;
    }
    message += " (crash " + std::to_string(pause.crashes_in_a_row) + " in a row of '" + call.name +
               "': reported after " +
               seconds_text(std::chrono::duration<double>(pause.length).count()) + ")";
    held_.push_back({clock::now() + pause.length, std::move(call.completion),
                     std::make_exception_ptr(broken_process_pool(message))});
}

void process_pool_executor::manager::release_held_failures(bool all) {
    if (held_.empty()) return;
    const auto now = clock::now();
    // Moved out first: a failure's callbacks may submit (into incoming_, not here), and
    // the order of failures stays the order of crashes.
    std::vector<held_failure> due;
    for (auto it = held_.begin(); it != held_.end();) {
        if (all || it->due <= now) {
            due.push_back(std::move(*it));
            it = held_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& failure : due) failure.completion->fail(failure.error);
}

}  // namespace shoal
