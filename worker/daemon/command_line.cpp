#include "command_line.hpp"

#include <map>

#include <CLI/CLI.hpp>

namespace shoal::worker_daemon {

namespace {

// Upper bound for counts: far above any sane value, low enough that slots + prefetch fits.
constexpr std::uint32_t max_count = 1u << 20;

}  // namespace

parse_outcome parse_command_line(int argc, char** argv) {
    CLI::App app{
        "shoal-worker: runs Shoal tasks for a broker.\n"
        "SIGTERM or SIGINT drains (finishes held tasks within --grace, then exits 0);\n"
        "a second one exits at once with status 128 + the signal number.",
        "shoal-worker"};
    command_line c;
    std::optional<std::uint32_t> threads;
    std::optional<std::uint32_t> processes;
    std::optional<std::uint32_t> concurrency;
    std::optional<std::uint32_t> prefetch;
    std::string level = "info";
    std::optional<std::string> queues;

    app.add_option("--broker,-b", c.options.broker, "the broker's endpoint")
        ->capture_default_str()
        ->envname("SHOAL_BROKER");
    app.add_option("--broker-key", c.options.broker_key_file,
                   "the broker's public key file: CURVE on (needs --key)")
        ->envname("SHOAL_BROKER_KEY");
    app.add_option("--key", c.options.key_file,
                   "this worker's secret key file (NAME.key_secret, mode 0600; needs --broker-key)")
        ->envname("SHOAL_KEY");
    app.add_option("--tasks,-t", c.task_libraries,
                   "a task library to load (a .so exporting shoal_register_tasks); repeatable")
        ->take_all();
    app.add_option("--threads", threads, "thread-pool threads (default: the CPU count)")
        ->check(CLI::Range(1u, max_count));
    app.add_option("--processes", processes, "process-pool children (default: the CPU count)")
        ->check(CLI::Range(1u, max_count));
    app.add_option(
           "--concurrency,-c", concurrency,
           "slots: tasks run at once, on any pool or the loop (default: threads + processes)")
        ->check(CLI::Range(1u, max_count));
    app.add_option(
           "--prefetch", prefetch,
           "tasks held beyond the slots, waiting locally (default: 4 per slot; 0 holds only "
           "what runs)")
        ->check(CLI::Range(0u, max_count));
    app.add_option("--name,-n", c.options.name, "worker name (default: worker-<pid>@<hostname>)");
    app.add_option("--queues,-Q", queues,
                   "the queues it takes tasks from, comma-separated (default: default)")
        ->envname("SHOAL_QUEUES");
    app.add_option("--grace", c.options.grace_seconds,
                   "seconds a drain may take before the worker leaves")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option(
           "--slow-loop", c.options.slow_loop_seconds,
           "seconds a loop task may block the worker's loop before it is reported (0: never)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--log-level,-l", level, "trace, debug, info, warn, error, critical or off")
        ->capture_default_str()
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        return {std::nullopt, status == 0 ? 0 : exit_usage};
    }
    c.options.threads = threads;
    c.options.processes = processes;
    c.options.concurrency = concurrency;
    c.options.prefetch = prefetch;
    if (queues) c.options.queues = split_queue_list(*queues);  // resolve() checks each name
    c.log_level = spdlog::level::from_str(level);
    return {std::move(c), 0};
}

}  // namespace shoal::worker_daemon
