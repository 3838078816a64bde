#pragma once
// When a multi-future wait returns (Python's FIRST_COMPLETED / FIRST_EXCEPTION /
// ALL_COMPLETED). Shared by the blocking shoal::concurrent::wait and the asyncio-style wait.

namespace shoal {

enum class return_when {
    first_completed,  // any future finished or was cancelled
    first_exception,  // any future finished with an exception, else as all_completed
    all_completed,    // every future finished or was cancelled
};

inline constexpr return_when FIRST_COMPLETED = return_when::first_completed;
inline constexpr return_when FIRST_EXCEPTION = return_when::first_exception;
inline constexpr return_when ALL_COMPLETED = return_when::all_completed;

}  // namespace shoal
