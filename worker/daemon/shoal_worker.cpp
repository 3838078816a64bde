// shoal-worker: the stock worker daemon. It loads task libraries (--tasks lib.so) into a
// shoal::worker and runs it. Exit status: 0 drained, 1 the drain's grace period ran out,
// 2 a usage error, a task library that cannot be used, or a key the broker refuses as a
// worker's, 128 + N a second signal N.

#include <exception>
#include <stdexcept>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "command_line.hpp"
#include "shoal/worker/plugin.hpp"
#include "shoal/worker/worker.hpp"

int main(int argc, char** argv) {
    using namespace shoal::worker_daemon;
    const parse_outcome command = parse_command_line(argc, argv);
    if (!command.parsed) return command.exit_status;
    spdlog::set_default_logger(spdlog::stderr_color_mt("shoal-worker"));
    spdlog::set_level(command.parsed->log_level);
    try {
        shoal::worker worker(command.parsed->options);
        // Task libraries are loaded before run(): their process-pool functions must be
        // registered before the pool forks.
        for (const auto& path : command.parsed->task_libraries) {
            shoal::load_task_library(path, worker.registry());
            spdlog::info("loaded task library {}", path);
        }
        if (worker.registry().size() == 0) {
            spdlog::error("no tasks to run: load a task library with --tasks lib.so");
            return exit_usage;
        }
        for (const auto& name : worker.registry().names()) {
            spdlog::info("task {} runs on the {}", name,
                         to_string(worker.registry().find(name)->place));
        }
        return worker.run();
    } catch (const shoal::plugin_error& e) {
        spdlog::error("{}", e.what());
        return exit_usage;
    } catch (const std::invalid_argument& e) {
        spdlog::error("invalid option: {}", e.what());
        return exit_usage;
    } catch (const std::exception& e) {
        spdlog::critical("shoal-worker failed: {}", e.what());
        return 1;
    }
}
