#pragma once
// shoal::process_pool_executor: runs registered functions (function_registry) by name in
// pre-started child processes, with Python's ProcessPoolExecutor semantics plus what a task
// queue needs: soft and hard per-call time limits, terminating a running call, and recycling
// children after N calls.
//
//     inline constexpr shoal::task_def<long(long)> square{"square"};
//     shoal::function_registry::global().define(square, [](long x) { return x * x; });
//     shoal::process_pool_executor pool(4);
//     long y = pool.submit(square, 7).result();   // 49
//
// Lifetime: the constructor forks every child (BEFORE the pool starts any thread of its own),
// waits for each child's ready frame, then starts one manager thread. The destructor is
// shutdown(true): queued calls finish, children are stopped and reaped (no zombies).
// Fork: children are forks of this process ('fork' start method). A child of a pool created
// while other threads run, and every replacement child (forked from the manager thread),
// holds a copy of memory in which other threads' locks may be held: functions run in a
// child must not depend on locks that other parent threads might hold (logging, allocators
// other than glibc malloc, the parent's own objects). Register every function before
// creating the pool; the pool snapshots the registry at construction.
// Errors, all delivered through the call's future:
//   unknown_function_error  the name is not in the snapshot (the future fails at submit);
//   task_error{type, msg}   the function threw (type demangled), or arguments/result did not
//                           fit the signature (type "shoal::argument_error"/"result_error");
//   broken_process_pool     the child died during the call (signal or exit status named);
//                           the child is replaced and the pool stays usable; the failure is
//                           reported after a pause that grows while the same function keeps
//                           crashing (process_pool_options' crash backoff);
//   time_limit_exceeded     the call outlived call_options::time_limit; the child is killed
//                           with SIGKILL and replaced;
//   terminated_error        terminate(future) killed the child running the call (replaced);
//   soft_time_limit_exceeded, retry_task  the function threw one: rebuilt as that type (with
//                           retry_task's countdown), so callers catch them as in one process.
// Soft limits: at call_options::soft_time_limit the pool sends the child SIGUSR1; the
// function sees shoal::this_task::stop_requested() (this_task.hpp) and may stop. The flag is
// reset before every call. SIGUSR1 is taken in children for this: functions must not use it.
// submit/map after shutdown throw executor_shutdown_error; construction failures throw
// std::system_error (socketpair, fork) or broken_process_pool (a child never became ready).
// Thread-safety: every member may be called from any thread concurrently.
// Threads: one manager thread reads every child's answers, settles the futures, notices
// deaths, enforces time limits and recycles children. submit() hands a call to it through a
// queue and an eventfd, except when a child is idle and nothing is queued: then the
// submitting thread writes the request to that child's socket itself (under the pool's
// lock), which saves a thread hand-off per call; the manager still reads the answer. Calls
// with a time limit, or with large arguments, always take the queue. The caller's result()
// parks on the future's condition variable (no spinning: a spinning caller would steal the
// CPU the child needs on a small machine). Details: process_pool_executor.cpp.

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/detail/call_completion.hpp"
#include "shoal/common/detail/msgpack_codec.hpp"
#include "shoal/common/detail/pool_job.hpp"
#include "shoal/common/function_registry.hpp"
#include "shoal/common/task_def.hpp"

namespace shoal {

struct process_pool_options {
    // Replace a child after it has run this many calls (Python's max_tasks_per_child).
    std::optional<std::size_t> max_tasks_per_child;
    // Where functions are looked up; snapshotted at construction. Must not be null.
    function_registry* registry = &function_registry::global();
    // A call whose child dies (a crash: a signal or an exit, not an exception) fails only
    // after a pause, so that a caller retrying crashes at once (a worker, whose broker
    // re-delivers the task) does not crash-loop: the first crash of a function waits
    // crash_backoff_initial_s, each further crash of it in a row twice as long, up to
    // crash_backoff_max_s; a call of it that returns ends the streak. 0 fails at once.
    double crash_backoff_initial_s = 0.1;
    double crash_backoff_max_s = 5.0;
};

struct call_options {
    // Hard limit in seconds on the call's run time in the child (time queued not counted).
    std::optional<double> time_limit;
    // Soft limit in seconds: the child is asked to stop (this_task::stop_requested()).
    std::optional<double> soft_time_limit{};
};

class process_pool_executor {
  public:
    // The CPU count (at least 1).
    static std::size_t default_max_workers() noexcept;

    explicit process_pool_executor(std::size_t max_workers = default_max_workers(),
                                   process_pool_options options = {});
    ~process_pool_executor();
    process_pool_executor(const process_pool_executor&) = delete;
    process_pool_executor& operator=(const process_pool_executor&) = delete;

    // Calls def(args...) in a child; arguments convert to the declared types at compile time.
    template <class R, class... Args>
    concurrent::future<R> submit(const task_def<R(Args...)>& def,
                                 std::type_identity_t<Args>... args) {
        return submit(call_options{}, def, std::move(args)...);
    }

    template <class R, class... Args>
    concurrent::future<R> submit(const call_options& options, const task_def<R(Args...)>& def,
                                 std::type_identity_t<Args>... args) {
        auto future = concurrent::make_future<R>();
        enqueue(std::string(def.name()), detail::pack_arguments<std::decay_t<Args>...>(args...),
                options, std::make_unique<detail::typed_completion<R>>(future));
        return future;
    }

    // The untyped path for tools and other languages: msgpack array in, msgpack result out.
    concurrent::future<std::string> submit_raw(std::string name, std::string msgpack_args,
                                               const call_options& options = {});

    // Python's map collected into a vector: one call per item (an item is the argument, or a
    // tuple of arguments for a multi-argument task), results in input order, the first
    // exception in input order rethrown, timeout_error past the overall timeout; on either,
    // the calls not yet collected are cancelled.
    template <class R, class... Args, std::ranges::input_range Range>
    std::vector<R> map(const task_def<R(Args...)>& def, const Range& items,
                       std::optional<double> timeout_seconds = {}) {
        static_assert(!std::is_void_v<R>, "map collects results: the task must return one");
        const auto until = concurrent::detail::deadline_after(timeout_seconds);
        std::vector<concurrent::future<R>> futures;
        for (const auto& item : items) {
            if constexpr (sizeof...(Args) == 1) {
                futures.push_back(submit(def, item));
            } else {
                futures.push_back(
                    std::apply([&](const auto&... args) { return submit(def, args...); }, item));
            }
        }
        return detail::collect_results(futures, until);
    }

    // Stops `call` (a future this pool returned): a queued call is cancelled; a running one
    // has its child killed (SIGKILL) and replaced, and its future fails with terminated_error.
    // Returns false if the call was done already. Asynchronous: the manager thread kills the
    // child soon after; a call that finishes first keeps its own outcome, and a future that
    // is not this pool's is left alone.
    template <class R>
    bool terminate(const concurrent::future<R>& call) {
        if (call.cancel()) return true;
        if (call.done()) return false;
        // The state is held until the manager has looked, so its address (the key) cannot be
        // reused by another call's future meanwhile.
        request_termination(concurrent::detail::future_access::base(call).shared_from_this());
        return true;
    }

    // Stops accepting calls. cancel_futures cancels calls not yet sent to a child; other
    // queued calls still run. wait blocks until every call is done and every child reaped
    // (the destructor always waits). Idempotent.
    void shutdown(bool wait = true, bool cancel_futures = false);

    // The live children's pids, for tests and operations (e.g. to kill one).
    std::vector<pid_t> child_pids() const;
    std::size_t max_workers() const noexcept;

  private:
    class manager;  // sockets, children and the manager thread (process_pool_executor.cpp)

    void enqueue(std::string name, std::string msgpack_args, const call_options& options,
                 std::unique_ptr<detail::call_completion> completion);
    void request_termination(std::shared_ptr<const void> state);

    std::unique_ptr<manager> manager_;
};

}  // namespace shoal
