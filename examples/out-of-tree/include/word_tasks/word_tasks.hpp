#pragma once
// The tasks' contract: a client and a worker both include this header.
#include <string>

#include "shoal/common/task_def.hpp"

namespace shoal {
class task_registry;
}

namespace word_tasks {

inline constexpr shoal::task_def<long(std::string)> word_count{"word_tasks.word_count"};
inline constexpr shoal::task_def<std::string(std::string)> shout{"word_tasks.shout"};

// Defines both tasks in a registry (a worker's, or the stock daemon's through the plugin).
void define(shoal::task_registry& registry);

}  // namespace word_tasks
