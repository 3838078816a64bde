// shoal: the command-line client of a Shoal cluster (client/README.md).
//
//   shoal [--broker URL] [--json] [--timeout S] [--config FILE] <command> ...
//   shoal --version | --print-config | --check-config
//     submit TASK [ARGS...] [--wait] [--wait-timeout S] [--queue Q] [--priority N]
//                           [--countdown S] [--expires S] [--time-limit S]
//                           [--soft-time-limit S] [--max-retries N] [--retry-delay S]
//                           [--retry-backoff] [--retry-on TYPE]...
//            TASK [ARGS...] then TASK [ARGS...] ...   a chain; ',' between calls: a group
//     result ID [--wait] [--wait-timeout S]
//     inspect workers|queues|active|dead|held|scheduled|limits|stats|brokers
//     revoke ID [--terminate]
//     retry ID
//     purge QUEUE
//     status
//     admin reload-keys|step-down
//     periodic add NAME (--every D | --cron EXPR) [--zone Z] [--missed run_once|skip]
//                       [--queue Q] TASK [ARGS...]
//     periodic list | remove NAME | pause NAME | resume NAME
//     events [--dump] [--count N] [--duration S]
//     dashboard [--http HOST:PORT] [--history N] [--control-token-file F]
//     keygen NAME [--dir DIR]
//
// The global options may also follow the command. Exit codes: cli_context.hpp.
//
// A task's ARGS are one JSON value each ('[1,2,3]' is one array). CLI11 would expand a
// bracketed value given to a vector option into several ("[1,2]" -> "1", "2"), so ARGS are
// not an option: they are the command line's extras (allow_extras), taken whole, in order.

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli_settings.hpp"
#include "commands.hpp"
#include "shoal/common/version.hpp"

namespace {

// A number of seconds >= 0 (or > 0), said in words: CLI11's own range checks print the
// upper bound, DBL_MAX, in full.
CLI::Validator seconds(bool zero_allowed) {
    return CLI::Validator(
        [zero_allowed](std::string& text) -> std::string {
            double value = 0;
            if (!CLI::detail::lexical_cast(text, value) || !(value == value)) {
                return "'" + text + "' is not a number of seconds";
            }
            if (zero_allowed ? value < 0 : value <= 0) {
                return "must be " + std::string(zero_allowed ? "0 or more" : "more than 0") +
                       " seconds, got " + text;
            }
            return {};
        },
        zero_allowed ? "SECONDS>=0" : "SECONDS>0");
}

// --broker must look like an endpoint (tcp://HOST:PORT or ipc://PATH): a malformed one is a
// usage error at once, not a wait of --timeout seconds for a broker that cannot be reached.
void check_endpoint(const std::string& endpoint) {
    const auto bad = [&](const std::string& why) {
        return CLI::ValidationError(
            "--broker", "'" + endpoint +
                            "' is not an endpoint like tcp://HOST:PORT or ipc://PATH (" + why +
                            ")");
    };
    const auto scheme_end = endpoint.find("://");
    if (scheme_end == std::string::npos) throw bad("no transport://");
    const std::string scheme = endpoint.substr(0, scheme_end);
    const std::string rest = endpoint.substr(scheme_end + 3);
    if (scheme == "ipc") {
        if (rest.empty()) throw bad("no path");
        return;
    }
    if (scheme != "tcp") throw bad("the transport must be tcp or ipc");
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) throw bad("no HOST:PORT");
    const std::string port = rest.substr(colon + 1);
    const bool digits = !port.empty() && port.size() <= 5 &&
                        port.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535)
        throw bad("the port must be 1 to 65535");
}

// The extras that are not task arguments: unknown options, and anything after a command
// that takes no arguments. A JSON value never starts with two dashes, nor with a dash and
// a letter; a negative number is a value.
bool looks_like_an_option(const std::string& arg) {
    return arg.size() >= 2 && arg[0] == '-' && !(arg[1] >= '0' && arg[1] <= '9') && arg[1] != '.';
}

}  // namespace

int main(int argc, char** argv) {
    using namespace shoal::cli;

    global_options opts;
    CLI::App app{"shoal: submit tasks to a Shoal cluster and look at it"};
    app.require_subcommand(0, 1);  // one, unless --print-config or --check-config
    app.fallthrough();             // global options are accepted after the subcommand too
    cli_settings settings(app);    // --broker, --timeout, --broker-key, --key, --config...
    app.add_flag("--json", opts.json, "print one JSON document on stdout");
    app.add_flag("--verbose,-v", opts.verbose, "log what the client library does (stderr)");
    app.set_version_flag("--version", std::string("shoal ") + std::string(shoal::version));

    submit_args submit;
    auto* submit_cmd =
        app.add_subcommand("submit", "submit a task; prints its id, or its result with --wait");
    submit_cmd
        ->add_option("task", submit.task,
                     "task name; then its arguments, one JSON value each "
                     "(2 '\"text\"' '[1,2]' '{\"k\":1}'); a workflow: calls joined by "
                     "'then' (a chain) or ',' (a group): add 1 2 then mul 10")
        ->required();
    submit_cmd->add_flag("--wait,-w", submit.wait, "wait for the result and print it");
    submit_cmd
        ->add_option("--wait-timeout", submit.wait_timeout_s,
                     "with --wait: give up after this many seconds (exit 4; default: no limit)")
        ->check(seconds(true));
    submit_cmd->add_option("--queue,-q", submit.queue, "queue (default: default)");
    submit_cmd->add_option("--priority", submit.priority, "0..9, higher first")
        ->check(CLI::Range(0, 9));
    submit_cmd->add_option("--countdown", submit.countdown_s, "do not run before this many seconds")
        ->check(seconds(true));
    submit_cmd
        ->add_option("--time-limit", submit.time_limit_s, "hard limit in seconds on one attempt")
        ->check(seconds(false));
    submit_cmd
        ->add_option("--soft-time-limit", submit.soft_time_limit_s,
                     "seconds after which the task is asked to stop")
        ->check(seconds(false));
    submit_cmd->add_option("--expires", submit.expires_s, "do not start after this many seconds")
        ->check(seconds(true));
    submit_cmd->add_option("--max-retries", submit.max_retries, "re-runs after a failure");
    submit_cmd
        ->add_option("--retry-delay", submit.retry_delay_s, "seconds before a retry (default 1)")
        ->check(seconds(true));
    submit_cmd->add_flag("--retry-backoff", submit.retry_backoff,
                         "double the delay for each retry");
    // One value per use: a vector option would otherwise swallow the task's arguments after it.
    submit_cmd
        ->add_option("--retry-on", submit.retry_on, "retry only on this error type (repeatable)")
        ->allow_extra_args(false);
    app.allow_extras();  // the task's arguments: see the top of this file

    std::string result_id;
    result_wait_args result_wait;
    auto* result_cmd = app.add_subcommand("result", "the state of a task and its result or error");
    result_cmd->add_option("id", result_id, "task id")->required();
    result_cmd->add_flag("--wait,-w", result_wait.wait, "wait while the task is pending");
    result_cmd
        ->add_option("--wait-timeout", result_wait.timeout_s,
                     "with --wait: give up after this many seconds (exit 4; default: no limit)")
        ->check(seconds(true));

    std::string what;
    auto* inspect_cmd = app.add_subcommand(
        "inspect", "the broker's view of workers, queues, active tasks or its counters (stats)");
    inspect_cmd
        ->add_option("what", what,
                     "workers, queues, active, dead, held, scheduled (periodic and held tasks, "
                     "with their next run), limits, stats or brokers (which broker is active, "
                     "its lease epoch)")
        ->required()
        ->check(CLI::IsMember({"workers", "queues", "active", "dead", "held", "scheduled", "limits",
                               "stats", "brokers"}));

    std::string revoke_id;
    bool terminate = false;
    auto* revoke_cmd =
        app.add_subcommand("revoke", "revoke a task (drop it, or stop it on its worker)");
    revoke_cmd->add_option("id", revoke_id, "task id")->required();
    revoke_cmd->add_flag("--terminate", terminate, "kill a running process-pool task's child");

    std::string retry_id;
    auto* retry_cmd =
        app.add_subcommand("retry", "run a dead-lettered task again (see inspect dead)");
    retry_cmd->add_option("id", retry_id, "task id")->required();

    std::string queue;
    auto* purge_cmd = app.add_subcommand("purge", "drop every task waiting in a queue");
    purge_cmd->add_option("queue", queue, "queue name")->required();

    keygen_args keygen;
    auto* keygen_cmd = app.add_subcommand(
        "keygen", "write a CURVE key pair: NAME.key (public) and NAME.key_secret (mode 0600)");
    keygen_cmd->add_option("name", keygen.name, "the key's name (a file name)")->required();
    keygen_cmd->add_option("--dir", keygen.dir, "where to write the two files")
        ->capture_default_str();

    std::string admin_action;
    auto* admin_cmd = app.add_subcommand(
        "admin",
        "operations on the broker itself (an admin key): reload-keys rereads its keys; "
        "step-down hands an active broker's lease to a standby");
    admin_cmd->add_option("action", admin_action, "reload-keys or step-down")
        ->required()
        ->check(CLI::IsMember({"reload-keys", "step-down"}));

    periodic_args periodic;
    auto* periodic_cmd = app.add_subcommand(
        "periodic", "the broker's periodic tasks (an admin key): add, list, remove, pause, resume");
    periodic_cmd->require_subcommand(1);
    auto* periodic_add = periodic_cmd->add_subcommand(
        "add", "add (or replace) a periodic task: NAME, a schedule, then TASK [ARGS...]");
    periodic_add->add_option("name", periodic.name, "the periodic task's name")->required();
    periodic_add->add_option("--every", periodic.every, "an interval: 500ms, 10s, 5m, 2h, 1d");
    periodic_add->add_option("--cron", periodic.cron,
                             "a cron expression: \"0 9 * * mon-fri\", \"@daily\"");
    periodic_add->add_option("--zone", periodic.zone, "the cron expression's time zone (IANA)")
        ->capture_default_str();
    periodic_add->add_option("--missed", periodic.missed, "slots missed while no broker ran")
        ->check(CLI::IsMember({"run_once", "skip"}))
        ->capture_default_str();
    periodic_add->add_option("--queue,-q", periodic.queue, "queue (default: the task's route)");
    auto* periodic_list = periodic_cmd->add_subcommand("list", "every periodic task");
    std::vector<CLI::App*> periodic_named;
    for (const char* action : {"remove", "pause", "resume"}) {
        auto* cmd = periodic_cmd->add_subcommand(
            action, std::string(action) + " a periodic task (by name)");
        cmd->add_option("name", periodic.name, "the periodic task's name")->required();
        periodic_named.push_back(cmd);
    }

    events_args events;
    auto* events_cmd = app.add_subcommand(
        "events", "the broker's event stream, live (a broker with keys: an admin key)");
    events_cmd->add_flag("--dump", events.dump,
                         "print every field, and stop after --duration (default 5 s)");
    events_cmd->add_option("--count", events.count, "stop after this many events");
    events_cmd->add_option("--duration", events.duration_s, "stop after this many seconds")
        ->check(seconds(false));

    dashboard_args dashboard;
    auto* dashboard_cmd = app.add_subcommand(
        "dashboard", "a live web dashboard of the cluster (a broker with keys: an admin key)");
    dashboard_cmd
        ->add_option("--http", dashboard.http, "HOST:PORT to serve on (port 0: a free one)")
        ->capture_default_str();
    dashboard_cmd->add_option("--history", dashboard.history, "tasks kept at most")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}));
    dashboard_cmd->add_option("--control-token-file", dashboard.control_token_file,
                              "the token control actions need (default: a new one, printed)");

    auto* status_cmd =
        app.add_subcommand("status", "broker and worker health: exit 0 if a worker answers");

    try {
        app.parse(argc, argv);
        std::vector<std::string> extras = app.remaining();
        for (const auto& arg : extras) {
            if (looks_like_an_option(arg))
                throw CLI::ExtrasError("unknown option " + arg, CLI::ExitCodes::ExtrasError);
        }
        if (*submit_cmd) {
            submit.args = std::move(extras);
        } else if (*periodic_add) {
            periodic.call = std::move(extras);
        } else if (!extras.empty()) {
            throw CLI::ExtrasError(extras);
        }
        settings.resolve(opts, shoal::process_environment());
        if (settings.print_config) {
            std::cout << settings.effective;
            return exit_ok;
        }
        if (app.get_subcommands().empty() && !settings.check_config)
            throw CLI::RequiredError("A subcommand");
        if (!*keygen_cmd) check_endpoint(opts.broker);
        if (settings.check_config) {
            std::cout << "shoal: configuration is good\n";
            return exit_ok;
        }
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);  // prints help or the error
        return code == 0 ? exit_ok : exit_usage;
    } catch (const shoal::config_error& e) {
        std::cerr << "shoal: bad configuration: " << e.what() << '\n';
        return exit_usage;
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
        if (*admin_cmd) return run_admin(opts, admin_action);
        if (*periodic_cmd) {
            if (*periodic_add) periodic.action = "add";
            if (*periodic_list) periodic.action = "list";
            for (CLI::App* cmd : periodic_named) {
                if (*cmd) periodic.action = cmd->get_name();
            }
            return run_periodic(opts, periodic);
        }
        if (*events_cmd) return run_events(opts, events);
        if (*dashboard_cmd) return run_dashboard(opts, dashboard);
        if (*keygen_cmd) return run_keygen(opts, keygen);
    } catch (const shoal::broker_error& e) {
        report_error(opts, e.code() + ": " + e.what());  // e.g. "forbidden: PURGE needs ..."
        return exit_failed;
    } catch (const std::exception& e) {
        report_error(opts, e.what());
        return exit_failed;
    }
    return exit_usage;
}
