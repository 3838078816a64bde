#pragma once
// shoal::function_registry: functions callable by name with msgpack arguments, so that a
// process pool child (or, later, a worker daemon) can run a call that arrived as bytes.
//
//     inline constexpr shoal::task_def<long(long)> count{"count"};
//     shoal::function_registry::global().define(count, [](long n) { return n + 1; });
//
// An invoker takes a msgpack array of arguments and returns the msgpack-encoded result (nil
// for void). Its errors: task_error of type "shoal::argument_error" for a non-array, the wrong
// arity or an argument of the wrong type; whatever the function itself throws passes through.
//
// Register every function BEFORE creating a process_pool_executor: the pool takes a snapshot
// at construction, and its children (forked) only know what the snapshot held.
// Thread-safety: all members may be called concurrently. An invoker runs concurrently with
// itself if several threads call it; the function must allow that.

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "shoal/common/detail/msgpack_codec.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/task_def.hpp"

namespace shoal {

// define() with a name that is already registered. (Not in errors.hpp: only the registry
// raises it.)
class duplicate_function_error : public error {
  public:
    using error::error;
};

class function_registry {
  public:
    using invoker = std::function<std::string(std::string_view msgpack_args)>;
    using table = std::map<std::string, invoker, std::less<>>;

    function_registry() = default;
    function_registry(const function_registry&) = delete;
    function_registry& operator=(const function_registry&) = delete;

    // The process-wide registry that pools use unless told otherwise.
    static function_registry& global();

    // Registers fn under def's name. fn must be callable as R(Args...) (checked at compile
    // time). Throws duplicate_function_error if the name is taken.
    template <class R, class... Args, class F>
    void define(const task_def<R(Args...)>& def, F fn) {
        static_assert(std::is_invocable_v<F&, std::decay_t<Args>...>,
                      "the function cannot be called with the task_def's argument types");
        if constexpr (!std::is_void_v<R>) {
            static_assert(std::is_convertible_v<std::invoke_result_t<F&, std::decay_t<Args>...>, R>,
                          "the function's result does not convert to the task_def's result type");
        }
        define_raw(std::string(def.name()), [fn = std::move(fn), name = std::string(def.name())](
                                                std::string_view bytes) mutable {
            auto arguments = detail::unpack_arguments<Args...>(bytes, name);
            if constexpr (std::is_void_v<R>) {
                std::apply(fn, std::move(arguments));
                return detail::pack_nil();
            } else {
                return detail::pack_result<R>(std::apply(fn, std::move(arguments)));
            }
        });
    }

    // Registers an untyped invoker (for bindings from other languages and tools).
    void define_raw(std::string name, invoker fn);

    bool contains(std::string_view name) const;
    // A copy of the invoker, or nullopt if the name is unknown.
    std::optional<invoker> find(std::string_view name) const;
    // Runs the named function; throws unknown_function_error if there is none.
    std::string invoke(std::string_view name, std::string_view msgpack_args) const;
    // A copy of every registration, taken atomically.
    table snapshot() const;

  private:
    mutable std::mutex mutex_;
    table functions_;  // guarded by mutex_
};

}  // namespace shoal
