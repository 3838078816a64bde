// shoal: the command-line client of a Shoal cluster (client/README.md).
//
//   shoal [--broker URL] [--json] [--timeout S] <command> ...
//     submit TASK [ARGS...] [--wait] [--queue Q] [--priority N] [--countdown S]
//                           [--expires S] [--time-limit S] [--soft-time-limit S]
//                           [--max-retries N] [--retry-delay S] [--retry-backoff]
//                           [--retry-on TYPE]...
//     result ID [--wait]
//     inspect workers|queues|active|dead|limits|stats
//     revoke ID [--terminate]
//     retry ID
//     purge QUEUE
//     status
//
// The global options may also follow the command. Exit codes: cli_context.hpp.

#include <cstdlib>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "commands.hpp"

namespace {

std::string default_broker() {
    const char* env = std::getenv("SHOAL_BROKER");
    return env != nullptr && *env != '\0' ? env : "tcp://127.0.0.1:5555";
}

}  // namespace

int main(int argc, char** argv) {
    using namespace shoal::cli;

    global_options opts;
    opts.broker = default_broker();
    CLI::App app{"shoal: submit tasks to a Shoal cluster and look at it"};
    app.require_subcommand(1);
    app.fallthrough();  // global options are accepted after the subcommand too
    app.add_option("--broker,-b", opts.broker, "broker endpoint (env SHOAL_BROKER)")
        ->capture_default_str();
    app.add_flag("--json", opts.json, "print one JSON document on stdout");
    app.add_option("--timeout,-t", opts.timeout_s,
                   "seconds to wait for the broker, and for a result with --wait")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_flag("--verbose,-v", opts.verbose, "log what the client library does (stderr)");

    submit_args submit;
    auto* submit_cmd = app.add_subcommand("submit", "submit a task; prints its id, or its result with --wait");
    submit_cmd->add_option("task", submit.task, "task name")->required();
    submit_cmd->add_option("args", submit.args, "arguments, one JSON value each (2, \"text\", [1,2])");
    submit_cmd->add_flag("--wait,-w", submit.wait, "wait for the result and print it");
    submit_cmd->add_option("--queue,-q", submit.queue, "queue (default: default)");
    submit_cmd->add_option("--priority", submit.priority, "0..9, higher first")->check(CLI::Range(0, 9));
    submit_cmd->add_option("--countdown", submit.countdown_s, "do not run before this many seconds")
        ->check(CLI::NonNegativeNumber);
    submit_cmd->add_option("--time-limit", submit.time_limit_s, "hard limit in seconds on one attempt")
        ->check(CLI::PositiveNumber);
    submit_cmd->add_option("--soft-time-limit", submit.soft_time_limit_s,
                           "seconds after which the task is asked to stop")
        ->check(CLI::PositiveNumber);
    submit_cmd->add_option("--expires", submit.expires_s, "do not start after this many seconds")
        ->check(CLI::NonNegativeNumber);
    submit_cmd->add_option("--max-retries", submit.max_retries, "re-runs after a failure");
    submit_cmd->add_option("--retry-delay", submit.retry_delay_s, "seconds before a retry (default 1)")
        ->check(CLI::NonNegativeNumber);
    submit_cmd->add_flag("--retry-backoff", submit.retry_backoff, "double the delay for each retry");
    submit_cmd->add_option("--retry-on", submit.retry_on, "retry only on this error type (repeatable)");

    std::string result_id;
    bool result_wait = false;
    auto* result_cmd = app.add_subcommand("result", "the state of a task and its result or error");
    result_cmd->add_option("id", result_id, "task id")->required();
    result_cmd->add_flag("--wait,-w", result_wait, "wait while the task is pending");

    std::string what;
    auto* inspect_cmd = app.add_subcommand(
        "inspect", "the broker's view of workers, queues, active tasks or its counters (stats)");
    inspect_cmd->add_option("what", what, "workers, queues, active, dead, held, limits or stats")
        ->required()
        ->check(CLI::IsMember({"workers", "queues", "active", "dead", "held", "limits", "stats"}));

    std::string revoke_id;
    bool terminate = false;
    auto* revoke_cmd = app.add_subcommand("revoke", "revoke a task (drop it, or stop it on its worker)");
    revoke_cmd->add_option("id", revoke_id, "task id")->required();
    revoke_cmd->add_flag("--terminate", terminate, "kill a running process-pool task's child");

    std::string retry_id;
    auto* retry_cmd = app.add_subcommand("retry", "run a dead-lettered task again (see inspect dead)");
    retry_cmd->add_option("id", retry_id, "task id")->required();

    std::string queue;
    auto* purge_cmd = app.add_subcommand("purge", "drop every task waiting in a queue");
    purge_cmd->add_option("queue", queue, "queue name")->required();

    auto* status_cmd = app.add_subcommand("status",
                                          "broker and worker health: exit 0 if a worker answers");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);  // prints help or the error
        return code == 0 ? exit_ok : exit_usage;
    }
    spdlog::set_level(opts.verbose ? spdlog::level::debug : spdlog::level::off);

    try {
        if (*submit_cmd) return run_submit(opts, submit);
        if (*result_cmd) return run_result(opts, result_id, result_wait);
        if (*inspect_cmd) return run_inspect(opts, what);
        if (*revoke_cmd) return run_revoke(opts, revoke_id, terminate);
        if (*retry_cmd) return run_retry(opts, retry_id);
        if (*purge_cmd) return run_purge(opts, queue);
        if (*status_cmd) return run_status(opts);
    } catch (const std::exception& e) {
        report_error(opts, e.what());
        return exit_failed;
    }
    return exit_usage;
}
