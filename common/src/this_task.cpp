// shoal::this_task: a thread-local pointer to the current scope's token, and in a process-pool
// child a flag set from a signal handler (this_task_child.hpp).

#include "shoal/common/this_task.hpp"

#include <signal.h>

#include <atomic>
#include <csignal>
#include <optional>

#include "this_task_child.hpp"

namespace shoal {
namespace {

thread_local const std::stop_token* current_token = nullptr;

// Process-pool child state. `child_mode` is set once in the (single-threaded) child.
bool child_mode = false;
std::atomic<bool> child_stop_flag{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");
std::optional<std::stop_source> child_source;

extern "C" void on_stop_signal(int /*signo*/) {
    child_stop_flag.store(true, std::memory_order_relaxed);
}

// In a child: carries a signalled request over to the call's stop_source.
bool sync_child() noexcept {
    if (!child_stop_flag.load(std::memory_order_relaxed)) return false;
    if (child_source) child_source->request_stop();
    return true;
}

}  // namespace

namespace this_task {

bool stop_requested() noexcept {
    if (current_token != nullptr) return current_token->stop_requested();
    if (child_mode) return sync_child();
    return false;
}

std::stop_token stop_token() noexcept {
    if (current_token != nullptr) return *current_token;
    if (child_mode && child_source) {
        sync_child();
        return child_source->get_token();
    }
    return {};
}

stop_scope::stop_scope(std::stop_token token) noexcept
    : token_(std::move(token)), previous_(current_token) {
    current_token = &token_;
}

stop_scope::~stop_scope() { current_token = previous_; }

}  // namespace this_task

namespace detail::this_task_child {

void install() noexcept {
    child_mode = true;
    // fork() copied the forking thread's thread-locals: a scope of the parent's is not ours.
    current_token = nullptr;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(stop_signal, &action, nullptr);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, stop_signal);
    ::pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
}

void begin_call() noexcept {
    child_stop_flag.store(false, std::memory_order_relaxed);
    child_source.emplace();
}

}  // namespace detail::this_task_child
}  // namespace shoal
