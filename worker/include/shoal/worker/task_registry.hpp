#pragma once
// shoal::task_registry: the tasks a worker can run, each bound to where it runs.
//
//     inline constexpr shoal::task_def<int(int, int)> add{"add"};
//     registry.define(add, [](int a, int b) { return a + b; }, shoal::run_on::thread_pool);
//     registry.define(fetch, fetch_coroutine, shoal::run_on::loop);      // returns task<R>
//     registry.define(count, count_fn, shoal::run_on::process_pool);
//
// The function is checked against the task_def at compile time: run_on::loop wants a
// callable returning shoal::task<R> (a coroutine, run on the worker's event loop);
// run_on::thread_pool and run_on::process_pool want a plain callable returning R. Arguments
// arrive as msgpack and are converted to the task_def's types; a payload that does not fit
// fails the call with a task_error of type "shoal::argument_error" (common's codec).
//
// Process-pool functions are registered in process_functions(), the function_registry the
// worker's process_pool_executor snapshots when it forks its children: so every define()
// happens before the worker starts. The worker calls freeze() when it starts; define()
// afterwards throws registry_frozen_error.
// Thread-safety: define() from one thread, before the worker runs; the lookups are const and
// may then be used from any thread.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "shoal/common/detail/msgpack_codec.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/function_registry.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/task_def.hpp"
#include "shoal/worker/run_on.hpp"

namespace shoal {

// define() after the worker started (its process pool has already forked).
class registry_frozen_error : public error {
  public:
    using error::error;
};

// What the registry holds for one task name.
struct task_entry {
    std::string name;
    execution_place place = execution_place::thread_pool;
    // run_on::loop: makes the (lazy) coroutine for one call from its msgpack arguments; the
    // coroutine unpacks them when it starts and returns the msgpack result.
    std::function<task<std::string>(std::string msgpack_args)> make_coroutine;
    // run_on::thread_pool: msgpack arguments in, msgpack result out. Shared so that a call
    // still running on a thread keeps it alive whatever happens to the registry.
    std::shared_ptr<const function_registry::invoker> call;
    // run_on::process_pool: neither; the call goes by name through process_functions().
};

namespace detail {

template <class T>
struct task_result_of : std::false_type {};
template <class T>
struct task_result_of<task<T>> : std::true_type {
    using type = T;
};

// One call of a loop task: unpack (inside the coroutine, so a bad payload becomes this
// task's exception), run the user's coroutine, pack its result. `arguments` lives in this
// frame, so a user coroutine taking its parameters by reference may keep them across awaits.
template <class F, class R, class... Args>
task<std::string> run_loop_task(std::shared_ptr<F> fn, std::string name, std::string payload) {
    auto arguments = unpack_arguments<Args...>(payload, name);
    auto work = std::apply(*fn, std::move(arguments));
    if constexpr (std::is_void_v<R>) {
        co_await std::move(work);
        co_return pack_nil();
    } else {
        R value = co_await std::move(work);
        co_return pack_result<R>(value);
    }
}

}  // namespace detail

class task_registry {
  public:
    task_registry() = default;
    task_registry(const task_registry&) = delete;
    task_registry& operator=(const task_registry&) = delete;

    // A coroutine on the worker's event loop. fn(args...) must return shoal::task<R>.
    template <class R, class... Args, class F>
    void define(const task_def<R(Args...)>& def, F fn, run_on::loop_t) {
        static_assert(std::is_invocable_v<F&, std::decay_t<Args>...>,
                      "the function cannot be called with the task_def's argument types");
        using returned = std::invoke_result_t<F&, std::decay_t<Args>...>;
        static_assert(detail::task_result_of<returned>::value,
                      "run_on::loop needs a coroutine returning shoal::task<R>");
        using produced = typename detail::task_result_of<returned>::type;
        if constexpr (std::is_void_v<R>) {
            static_assert(std::is_void_v<produced>,
                          "the task_def returns void: use shoal::task<void>");
        } else {
            static_assert(std::is_convertible_v<produced, R>,
                          "the coroutine's result does not convert to the task_def's result type");
        }
        check_can_define(def.name());
        task_entry entry;
        entry.name = std::string(def.name());
        entry.place = execution_place::loop;
        entry.make_coroutine = [fn = std::make_shared<F>(std::move(fn)),
                                name = entry.name](std::string payload) {
            return detail::run_loop_task<F, R, Args...>(fn, name, std::move(payload));
        };
        add(std::move(entry));
    }

    // A plain function on the worker's thread pool.
    template <class R, class... Args, class F>
    void define(const task_def<R(Args...)>& def, F fn, run_on::thread_pool_t) {
        static_assert(
            !detail::task_result_of<std::invoke_result_t<F&, std::decay_t<Args>...>>::value,
            "a coroutine runs on run_on::loop, not on a pool");
        check_can_define(def.name());
        function_registry typed;  // builds the typed invoker (common's codec), then lends it
        typed.define(def, std::move(fn));
        task_entry entry;
        entry.name = std::string(def.name());
        entry.place = execution_place::thread_pool;
        entry.call = std::make_shared<const function_registry::invoker>(*typed.find(entry.name));
        add(std::move(entry));
    }

    // A plain function in a child of the worker's process pool.
    template <class R, class... Args, class F>
    void define(const task_def<R(Args...)>& def, F fn, run_on::process_pool_t) {
        static_assert(
            !detail::task_result_of<std::invoke_result_t<F&, std::decay_t<Args>...>>::value,
            "a coroutine runs on run_on::loop, not on a pool");
        check_can_define(def.name());
        process_functions_.define(def, std::move(fn));
        task_entry entry;
        entry.name = std::string(def.name());
        entry.place = execution_place::process_pool;
        add(std::move(entry));
    }

    // Without a place: coroutines run on the loop, plain functions on the thread pool.
    template <class R, class... Args, class F>
    void define(const task_def<R(Args...)>& def, F fn) {
        if constexpr (detail::task_result_of<
                          std::invoke_result_t<F&, std::decay_t<Args>...>>::value) {
            define(def, std::move(fn), run_on::loop);
        } else {
            define(def, std::move(fn), run_on::thread_pool);
        }
    }

    // The entry for a name, or null. The pointer stays valid as long as the registry.
    const task_entry* find(std::string_view name) const;
    bool contains(std::string_view name) const { return find(name) != nullptr; }
    // Every task name, sorted (what the worker announces in HELLO).
    std::vector<std::string> names() const;
    std::size_t size() const noexcept { return entries_.size(); }
    // Whether any task runs at `place` (the worker starts only the pools it needs).
    bool uses(execution_place place) const noexcept;

    // Where process-pool functions live; the worker's pool snapshots it when it forks.
    function_registry& process_functions() noexcept { return process_functions_; }

    // Refuses further define() calls (the worker calls this when it starts).
    void freeze() noexcept { frozen_ = true; }
    bool frozen() const noexcept { return frozen_; }

  private:
    // Throws registry_frozen_error, duplicate_function_error, or std::invalid_argument for a
    // name the protocol cannot carry (empty or longer than 255 bytes).
    void check_can_define(std::string_view name) const;
    void add(task_entry entry);

    std::map<std::string, task_entry, std::less<>> entries_;
    function_registry process_functions_;
    bool frozen_ = false;
};

}  // namespace shoal
