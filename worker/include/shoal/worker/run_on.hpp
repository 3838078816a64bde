#pragma once
// Where a worker runs a task: shoal::run_on::loop, run_on::thread_pool or run_on::process_pool.
// Each is a distinct tag type (not just an enum value) so that task_registry::define can check
// at compile time that the function fits the place: a coroutine returning shoal::task<R> for
// the loop, a plain function returning R for the pools.

#include <cstdint>
#include <string_view>

namespace shoal {

// The runtime value of a place, as a registry entry stores it.
enum class execution_place : std::uint8_t {
    loop,          // a coroutine on the worker's event loop (I/O-bound, awaits subtasks)
    thread_pool,   // a plain function on the worker's thread_pool_executor (blocking calls)
    process_pool,  // a plain function in a process_pool_executor child (CPU-bound work)
};

// "loop", "thread_pool", "process_pool": for logs and --help texts.
std::string_view to_string(execution_place place) noexcept;

namespace run_on {

template <execution_place Place>
struct place_tag {
    static constexpr execution_place value = Place;
};

using loop_t = place_tag<execution_place::loop>;
using thread_pool_t = place_tag<execution_place::thread_pool>;
using process_pool_t = place_tag<execution_place::process_pool>;

inline constexpr loop_t loop{};
inline constexpr thread_pool_t thread_pool{};
inline constexpr process_pool_t process_pool{};

}  // namespace run_on
}  // namespace shoal
