#pragma once
// shoal-worker's command line (CLI11): every flag maps onto worker_options, plus the task
// libraries to load and the log level; --queues may also come from SHOAL_QUEUES. Documented
// in worker/README.md.

#include <optional>
#include <string>
#include <vector>

#include <spdlog/common.h>

#include "shoal/worker/worker_options.hpp"

namespace shoal::worker_daemon {

struct command_line {
    worker_options options;
    std::vector<std::string> task_libraries;  // --tasks, in order
    spdlog::level::level_enum log_level = spdlog::level::info;
};

// Exit status for usage errors and unusable task libraries.
inline constexpr int exit_usage = 2;

// The parsed command line, or the status to exit with (0 after --help, exit_usage after an
// error, which is printed).
struct parse_outcome {
    std::optional<command_line> parsed;
    int exit_status = 0;
};

parse_outcome parse_command_line(int argc, char** argv);

}  // namespace shoal::worker_daemon
