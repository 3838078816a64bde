#pragma once
// shoal-worker's settings: flags > SHOAL_* environment > a TOML file (--config, or
// SHOAL_WORKER_CONFIG) > defaults, through the loader the broker and the CLI share
// (shoal::layered_settings). Each maps onto worker_options, plus the task libraries to load
// and the log level. Documented in worker/README.md (one table: flag, variable, key).

#include <optional>
#include <string>
#include <vector>

#include <spdlog/common.h>

#include "shoal/common/layered_settings.hpp"
#include "shoal/common/log_format.hpp"
#include "shoal/worker/worker_options.hpp"

namespace shoal::worker_daemon {

struct command_line {
    worker_options options;
    std::vector<std::string> task_libraries;  // --tasks, in order
    spdlog::level::level_enum log_level = spdlog::level::info;
    shoal::log_format log_format = shoal::log_format::text;
    std::string config_file;  // the TOML file read, or empty
    std::string effective;    // every setting, its value and origin (--print-config)
    bool print_config = false;
    bool check_config = false;
};

// Exit status for usage errors and unusable task libraries.
inline constexpr int exit_usage = 2;

// The parsed command line, or the status to exit with (0 after --help or --version,
// exit_usage after an error, which is printed).
struct parse_outcome {
    std::optional<command_line> parsed;
    int exit_status = 0;
};

parse_outcome parse_command_line(int argc, char** argv,
                                 const env_lookup& env = process_environment());

}  // namespace shoal::worker_daemon
