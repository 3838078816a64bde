// shoal::process_pool_executor: construction, submission, shutdown and the public API. The
// manager's design is in process_pool_manager.hpp.

#include "shoal/common/process_pool_executor.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "process_pool_child.hpp"
#include "process_pool_manager.hpp"
#include "shoal/common/errors.hpp"

namespace shoal {

namespace wire = detail::pool_wire;
using namespace detail::pool;  // the manager's constants and records

namespace {
[[noreturn]] void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}
}  // namespace

process_pool_executor::manager::manager(std::size_t max_workers,
                                        const process_pool_options& options)
    : size_(max_workers),
      max_tasks_per_child_(options.max_tasks_per_child),
      functions_(options.registry->snapshot()),
      backoff_(options.crash_backoff_initial_s, options.crash_backoff_max_s) {
    if (max_workers == 0 || (max_tasks_per_child_ && *max_tasks_per_child_ == 0)) {
        throw std::invalid_argument(
            "process_pool_executor needs max_workers and "
            "max_tasks_per_child of at least 1");
    }
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) {
        throw_errno("eventfd");
    }
    children_.resize(max_workers);
    lanes_.resize(max_workers);
    try {
        spawner_ = std::make_unique<detail::pool_spawner>(
            [this](int fd) { detail::run_pool_child(fd, functions_); },
            [this] { close_inherited_fds(); });
        // Fork every child first, then wait for them together.
        for (auto& child : children_) {
            spawn(child);
        }
        for (auto& child : children_) {
            await_ready(child);
        }
    } catch (...) {
        stop_children();
        ::close(wake_fd_);
        throw;
    }
    publish_pids();
    thread_ = std::thread([this] { run(); });
}

process_pool_executor::manager::~manager() {
    shutdown(true, false);
    ::close(wake_fd_);
}

void process_pool_executor::manager::enqueue(queued_call call) {
    // functions_ is immutable: no lock needed to read it.
    const bool known = functions_.contains(call.name);
    bool broken = false;
    {
        std::lock_guard lock(mutex_);
        if (shutting_down_) {
            throw executor_shutdown_error();
        }
        broken = broken_;
        if (known && !broken) {
            call.id = next_id_++;
            if (try_direct_locked(call)) {
                return;
            }
            incoming_.push_back(std::move(call));
        }
    }
    if (known && !broken) {
        const std::uint64_t one = 1;
        // A full eventfd counter (EAGAIN) still means "readable": the wake-up is not lost.
        [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
        return;
    }
    // Only a call that was not queued (unknown function, broken pool) gets here: the move
    // above happens only on the path that returned.
    // NOLINTNEXTLINE(bugprone-use-after-move)
    if (call.completion->start()) {
        call.completion->fail(
            broken ? std::make_exception_ptr(broken_process_pool("the process pool is broken"))
                   : std::make_exception_ptr(unknown_function_error(
                         "no function named '" + call.name + "' is registered")));
    }
}

void process_pool_executor::manager::shutdown(bool wait, bool cancel_futures) {
    {
        std::lock_guard lock(mutex_);
        shutting_down_ = true;
        cancel_requested_ = cancel_requested_ || cancel_futures;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
    if (wait) {
        std::lock_guard lock(join_mutex_);
        if (thread_.joinable()) {
            thread_.join();
        }
    }
}

void process_pool_executor::manager::request_termination(std::shared_ptr<const void> state) {
    {
        std::lock_guard lock(mutex_);
        terminations_.push_back(std::move(state));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
}

std::vector<pid_t> process_pool_executor::manager::pids() const {
    std::lock_guard lock(mutex_);
    return pids_;
}

void process_pool_executor::manager::publish_pids() {
    std::vector<pid_t> live;
    for (const auto& child : children_) {
        if (child.pid > 0) {
            live.push_back(child.pid);
        }
    }
    std::lock_guard lock(mutex_);
    pids_ = std::move(live);
}

// ---------------------------------------------------------------- process_pool_executor

std::size_t process_pool_executor::default_max_workers() noexcept {
    return std::max(1U, std::thread::hardware_concurrency());
}

process_pool_executor::process_pool_executor(std::size_t max_workers,
                                             process_pool_options options) {
    if (options.registry == nullptr) {
        throw std::invalid_argument("process_pool_options::registry must not be null");
    }
    manager_ = std::make_unique<manager>(max_workers, options);
}

process_pool_executor::~process_pool_executor() = default;  // manager's destructor waits

concurrent::future<std::string> process_pool_executor::submit_raw(std::string name,
                                                                  std::string msgpack_args,
                                                                  const call_options& options) {
    auto future = concurrent::make_future<std::string>();
    enqueue(std::move(name), std::move(msgpack_args), options,
            std::make_unique<detail::raw_completion>(future));
    return future;
}

void process_pool_executor::shutdown(bool wait, bool cancel_futures) {
    manager_->shutdown(wait, cancel_futures);
}

std::vector<pid_t> process_pool_executor::child_pids() const { return manager_->pids(); }

std::size_t process_pool_executor::max_workers() const noexcept { return manager_->size(); }

void process_pool_executor::request_termination(std::shared_ptr<const void> state) {
    manager_->request_termination(std::move(state));
}

void process_pool_executor::enqueue(std::string name, std::string msgpack_args,
                                    const call_options& options,
                                    std::unique_ptr<detail::call_completion> completion) {
    queued_call call;
    call.name = std::move(name);
    call.args = std::move(msgpack_args);
    call.time_limit = options.time_limit;
    call.soft_time_limit = options.soft_time_limit;
    call.completion = std::move(completion);
    manager_->enqueue(std::move(call));
}

}  // namespace shoal
