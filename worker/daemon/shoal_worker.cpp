// shoal-worker: the stock worker daemon. It loads task libraries (--tasks lib.so) into a
// shoal::worker and runs it. Exit status: 0 drained, 1 the drain's grace period ran out,
// 2 a usage error, a task library that cannot be used, or a key the broker refuses as a
// worker's, 128 + N a second signal N. --version, --print-config and --check-config answer
// and exit (0, or 2 for a bad setting).

#include <cstdio>
#include <exception>
#include <stdexcept>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "command_line.hpp"
#include "shoal/common/service_notify.hpp"
#include "shoal/worker/plugin.hpp"
#include "shoal/worker/worker.hpp"

int main(int argc, char** argv) {
    using namespace shoal::worker_daemon;
    const parse_outcome command = parse_command_line(argc, argv);
    if (!command.parsed) return command.exit_status;
    if (command.parsed->print_config) {
        std::fputs(command.parsed->effective.c_str(), stdout);
        return 0;
    }
    if (command.parsed->check_config) {
        // Every source was read and every value checked, the options together too; task
        // libraries and key files are opened when the worker starts.
        const auto bad = [](const char* why) {
            std::fprintf(stderr, "shoal-worker: bad configuration: %s\n", why);
            return exit_usage;
        };
        try {
            (void)shoal::resolve(command.parsed->options);
        } catch (const std::invalid_argument& e) {
            return bad(e.what());
        }
        if (command.parsed->task_libraries.empty())
            return bad("no task library: give --tasks (or SHOAL_TASKS, or tasks in the file)");
        std::string said = "shoal-worker: configuration is good";
        if (!command.parsed->config_file.empty())
            said += " (config file " + command.parsed->config_file + ")";
        std::puts(said.c_str());
        return 0;
    }
    spdlog::set_default_logger(spdlog::stderr_color_mt("shoal-worker"));
    spdlog::set_level(command.parsed->log_level);
    shoal::use_log_format(command.parsed->log_format);
    // Under systemd (Type=notify): READY=1 once it serves, STOPPING=1 when it drains, the
    // broker link as STATUS, and WATCHDOG=1 from the worker's loop.
    const shoal::service_notify notify;
    shoal::worker_options options = command.parsed->options;
    options.hooks.started = [&] { notify.ready("serving; connecting to " + options.broker); };
    options.hooks.draining = [&] { notify.stopping("draining"); };
    options.hooks.status = [&](const std::string& text) { notify.status(text); };
    if (const auto interval = notify.watchdog_interval_seconds()) {
        options.hooks.alive = [&] { notify.watchdog(); };
        options.hooks.alive_interval_seconds = *interval;
    }
    try {
        shoal::worker worker(options);
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
