#pragma once
// The `shoal` subcommands; each returns the process's exit code (cli_context.hpp).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli_context.hpp"
#include "shoal/proto/task_id.hpp"

namespace shoal::cli {

struct submit_args {
    std::string task;
    std::vector<std::string> args;  // one JSON value each
    std::string queue;
    bool wait = false;
    std::optional<double> wait_timeout_s;  // --wait-timeout: none waits as long as it takes
    std::optional<unsigned> priority;
    std::optional<double> countdown_s;
    std::optional<double> time_limit_s;
    std::optional<double> soft_time_limit_s;
    std::optional<double> expires_s;
    std::optional<unsigned> max_retries;
    std::optional<double> retry_delay_s;
    bool retry_backoff = false;
    std::vector<std::string> retry_on;
};

// shoal result --wait [--wait-timeout S]
struct result_wait_args {
    bool wait = false;
    std::optional<double> timeout_s;  // none: wait as long as the task is pending
};

int run_submit(const global_options& opts, const submit_args& args);
int run_result(const global_options& opts, const std::string& id, const result_wait_args& wait);
int run_inspect(const global_options& opts, const std::string& what);
int run_revoke(const global_options& opts, const std::string& id, bool terminate);
int run_retry(const global_options& opts, const std::string& id);
int run_purge(const global_options& opts, const std::string& queue);
int run_status(const global_options& opts);
// shoal admin reload-keys
int run_admin(const global_options& opts, const std::string& action);

// shoal periodic add NAME (--every D | --cron EXPR) [--zone Z] [--missed P] [--queue Q]
//                   TASK [ARGS...] | list | remove NAME | pause NAME | resume NAME
struct periodic_args {
    std::string action;  // add, list, remove, pause, resume
    std::string name;
    std::string every;
    std::string cron;
    std::string zone = "UTC";
    std::string missed = "run_once";
    std::string queue;
    std::vector<std::string> call;  // add: TASK then one JSON value per argument
};
int run_periodic(const global_options& opts, const periodic_args& args);

// shoal events [--dump] [--count N] [--duration S]
struct events_args {
    bool dump = false;
    std::optional<std::uint64_t> count;
    std::optional<double> duration_s;
};
int run_events(const global_options& opts, const events_args& args);

// shoal dashboard [--http HOST:PORT] [--history N] [--control-token-file F]
struct dashboard_args {
    std::string http = "127.0.0.1:8787";
    std::size_t history = 100'000;
    std::string control_token_file;
};
int run_dashboard(const global_options& opts, const dashboard_args& args);

// shoal keygen NAME [--dir DIR]
struct keygen_args {
    std::string name;
    std::string dir = ".";
};
int run_keygen(const global_options& opts, const keygen_args& args);

// A task id from the command line (32 hex digits, dashes allowed), or nullopt after
// reporting the usage error.
std::optional<proto::task_id> parse_task_id(const global_options& opts, const std::string& text);

}  // namespace shoal::cli
