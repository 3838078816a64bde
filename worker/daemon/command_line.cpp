#include "command_line.hpp"

#include <cstdio>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "shoal/common/http_address.hpp"
#include "shoal/common/version.hpp"

namespace shoal::worker_daemon {

namespace {

// Upper bound for counts: far above any sane value, low enough that slots + prefetch fits.
constexpr double max_count = 1u << 20;
// Seconds: a day is far beyond any sane drain or loop-block threshold.
constexpr double max_seconds = 86'400;
constexpr std::string_view config_env = "SHOAL_WORKER_CONFIG";

std::string check_log_format(std::string_view v) {
    return shoal::log_format_from(v) ? std::string() : std::string("must be text or json");
}

std::string check_log_level(std::string_view v) {
    for (std::string_view level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
        if (v == level) return {};
    }
    return "must be one of trace, debug, info, warn, error, critical, off";
}

std::string check_http(std::string_view v) {
    http_address where;
    return v.empty() || parse_http_address(v, where)
               ? std::string()
               : "must be HOST:PORT, such as 0.0.0.0:9809 (port 0: a free one)";
}

std::string check_not_empty(std::string_view v) {
    return v.empty() ? "must not be empty" : std::string();
}

// Every setting the worker reads (worker/README.md's table). Flags keep their short aliases.
std::vector<setting_spec> worker_specs() {
    const worker_options d;
    using k = setting_kind;
    std::vector<setting_spec> specs{
        {"broker", "SHOAL_BROKER", "--broker,-b", "the broker's endpoint", k::text, 0, 0,
         check_not_empty, d.broker},
        {"broker_key", "SHOAL_BROKER_KEY", "--broker-key",
         "the broker's public key file: CURVE on (needs --key)", k::text},
        {"key", "SHOAL_KEY", "--key",
         "this worker's secret key file (NAME.key_secret, mode 0600; needs --broker-key)", k::text},
        {"tasks", "SHOAL_TASKS", "--tasks,-t",
         "task libraries to load (.so exporting shoal_register_tasks); repeat the flag, or "
         "comma-separate in the variable, or a list in the file",
         k::text},
        {"threads", "SHOAL_THREADS", "--threads", "thread-pool threads (default: the CPU count)",
         k::integer, 1, max_count},
        {"processes", "SHOAL_PROCESSES", "--processes",
         "process-pool children (default: the CPU count)", k::integer, 1, max_count},
        {"concurrency", "SHOAL_CONCURRENCY", "--concurrency,-c",
         "slots: tasks run at once, on any pool or the loop (default: threads + processes)",
         k::integer, 1, max_count},
        {"prefetch", "SHOAL_PREFETCH", "--prefetch",
         "tasks held beyond the slots, waiting locally (default: 4 per slot; 0 holds only what "
         "runs)",
         k::integer, 0, max_count},
        {"name", "SHOAL_WORKER_NAME", "--name,-n", "worker name (default: worker-<pid>@<hostname>)",
         k::text},
        {"queues", "SHOAL_QUEUES", "--queues,-Q",
         "the queues it takes tasks from, comma-separated (default: default)", k::text, 0, 0,
         nullptr, "default"},
        {"grace", "SHOAL_GRACE", "--grace", "seconds a drain may take before the worker leaves",
         k::seconds, 0, max_seconds, nullptr, fmt::format("{}", d.grace_seconds)},
        {"slow_loop", "SHOAL_SLOW_LOOP", "--slow-loop",
         "seconds a loop task may block the worker's loop before it is reported (0: never)",
         k::seconds, 0, max_seconds, nullptr, fmt::format("{}", d.slow_loop_seconds)},
        {"http", "SHOAL_WORKER_HTTP", "--http",
         "HOST:PORT of an HTTP listener: /healthz, /readyz (empty: none)", k::text, 0, 0,
         check_http},
        {"log_level", "SHOAL_LOG_LEVEL", "--log-level,-l",
         "trace, debug, info, warn, error, critical or off", k::text, 0, 0, check_log_level,
         "info"},
        {"log_format", "SHOAL_LOG_FORMAT", "--log-format",
         "text (lines for people) or json (one JSON object per line, for machines)", k::text, 0, 0,
         check_log_format, "text"},
        {"task_log_rate", "SHOAL_TASK_LOG_RATE", "--task-log-rate",
         "task lines (received, succeeded, failed) logged at info per second at most; the rest "
         "are counted in the next line (0: none)",
         k::integer, 0, 1'000'000, nullptr, fmt::format("{}", d.task_log_rate)},
    };
    // Defaults worked out at start, which --print-config names rather than shows.
    const std::map<std::string, std::string> notes{
        {"tasks", "none (required: the worker has nothing to run without one)"},
        {"threads", "the CPU count"},
        {"processes", "the CPU count"},
        {"concurrency", "threads + processes"},
        {"prefetch", "4 per slot"},
        {"name", "worker-<pid>@<hostname>"},
        {"broker_key", "none: plaintext, unless the broker has keys"},
        {"key", "none"},
    };
    for (setting_spec& s : specs) {
        if (const auto it = notes.find(s.key); it != notes.end()) s.default_note = it->second;
    }
    return specs;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = text.find(',', start);
        const std::size_t end = comma == std::string::npos ? text.size() : comma;
        if (end > start) out.push_back(text.substr(start, end - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

std::optional<std::uint32_t> count(const layered_settings& s, std::string_view key) {
    if (const auto n = s.integer(key)) return static_cast<std::uint32_t>(*n);
    return std::nullopt;
}

// The settings, into the worker's options.
command_line to_command_line(const layered_settings& s) {
    command_line c;
    worker_options& o = c.options;
    if (auto v = s.text("broker")) o.broker = *v;
    if (auto v = s.text("broker_key")) o.broker_key_file = *v;
    if (auto v = s.text("key")) o.key_file = *v;
    if (auto v = s.text("tasks")) c.task_libraries = split_list(*v);
    o.threads = count(s, "threads");
    o.processes = count(s, "processes");
    o.concurrency = count(s, "concurrency");
    o.prefetch = count(s, "prefetch");
    if (auto v = s.text("name")) o.name = *v;
    if (auto v = s.text("queues")) o.queues = split_queue_list(*v);  // resolve() checks each
    if (auto v = s.seconds("grace")) o.grace_seconds = *v;
    if (auto v = s.seconds("slow_loop")) o.slow_loop_seconds = *v;
    if (auto v = s.text("http")) o.http = *v;
    c.log_level = spdlog::level::from_str(s.text("log_level").value_or("info"));
    c.log_format = shoal::log_format_from(s.text("log_format").value_or("text"))
                       .value_or(shoal::log_format::text);
    if (auto v = count(s, "task_log_rate")) o.task_log_rate = *v;
    return c;
}

}  // namespace

parse_outcome parse_command_line(int argc, char** argv, const env_lookup& env) {
    CLI::App app{
        "shoal-worker: runs Shoal tasks for a broker.\n"
        "SIGTERM or SIGINT drains (finishes held tasks within --grace, then exits 0);\n"
        "a second one exits at once with status 128 + the signal number.\n"
        "Precedence: command line > environment (SHOAL_*) > config file > defaults.",
        "shoal-worker"};
    layered_settings settings(worker_specs());
    const auto& specs = settings.specs();
    std::vector<std::vector<std::string>> values(specs.size());
    std::vector<CLI::Option*> options(specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const setting_spec& s = specs[i];
        const std::string shown_default = !s.default_text.empty() ? s.default_text : s.default_note;
        options[i] =
            app.add_option(s.flag, values[i],
                           fmt::format("{} [env {}, toml {}{}]", s.help, s.env, s.key,
                                       shown_default.empty() ? "" : ", default " + shown_default));
        if (s.key == "tasks") {
            options[i]->take_all();  // every --tasks adds libraries
        } else {
            options[i]->expected(1);  // one value; given twice, the last wins
            options[i]->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        }
        options[i]->type_name(s.kind == setting_kind::text      ? "TEXT"
                              : s.kind == setting_kind::seconds ? "SECONDS"
                                                                : "UINT");
    }
    std::string config_file;
    bool print_config = false;
    bool check_config = false;
    app.add_option("--config", config_file, fmt::format("TOML config file [env {}]", config_env))
        ->type_name("FILE");
    app.add_flag("--print-config", print_config,
                 "print the effective settings (TOML, each with where it came from) and exit");
    app.add_flag("--check-config", check_config,
                 "check every setting from every source and exit: 0 if all are good, 2 if not");
    app.set_version_flag("--version", fmt::format("shoal-worker {}", shoal::version));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        return {std::nullopt, status == 0 ? 0 : exit_usage};
    }
    try {
        // Lowest to highest: defaults, file, environment, command line.
        if (config_file.empty()) {
            if (const auto from_env = env(config_env)) config_file = *from_env;
        }
        if (!config_file.empty()) settings.apply_toml_file(config_file);
        settings.apply_environment(env);
        for (std::size_t i = 0; i < specs.size(); ++i) {
            if (options[i]->count() == 0) continue;
            std::string text;
            for (const std::string& v : values[i]) {
                if (!text.empty()) text += ',';
                text += v;
            }
            settings.apply(specs[i].key, text, setting_origin::command_line,
                           fmt::format("option {}", options[i]->get_name()));
        }
    } catch (const config_error& e) {
        std::fprintf(stderr, "shoal-worker: bad configuration: %s\n", e.what());
        return {std::nullopt, exit_usage};
    }
    command_line c = to_command_line(settings);
    c.config_file = config_file;
    c.effective = settings.describe();
    c.print_config = print_config;
    c.check_config = check_config;
    return {std::move(c), 0};
}

}  // namespace shoal::worker_daemon
