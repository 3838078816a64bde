#include "shoal/broker/config_loader.hpp"

#include <array>
#include <charconv>
#include <cstdlib>
#include <variant>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <toml++/toml.h>

#include "rate_limits.hpp"
#include "redis/redis_url.hpp"
#include "shoal/common/http_address.hpp"
#include "shoal/common/log_format.hpp"
#include "task_routes.hpp"

namespace shoal::broker {

namespace {

// One setting and the names it has in each source (README.md's table).
struct setting {
    std::string_view key;   // TOML key
    std::string_view env;   // environment variable
    std::string_view flag;  // command-line flag
    std::string_view help;
    std::variant<std::string broker_config::*, std::uint32_t broker_config::*,
                 std::uint64_t broker_config::*>
        member;
    std::uint64_t min = 0;  // numbers only
    std::uint64_t max = 0;
    // Text only: why the value is bad, or empty.
    std::string (*check)(std::string_view value) = nullptr;
};

std::string check_endpoint(std::string_view v) {
    for (std::string_view scheme : {"tcp://", "ipc://", "inproc://"}) {
        if (v.substr(0, scheme.size()) == scheme && v.size() > scheme.size()) return {};
    }
    return "must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555 (tcp://, ipc:// or inproc://)";
}

std::string check_log_level(std::string_view v) {
    for (std::string_view level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
        if (v == level) return {};
    }
    return "must be one of trace, debug, info, warn, error, critical, off";
}

std::string check_log_format(std::string_view v) {
    return shoal::log_format_from(v) ? std::string() : std::string("must be text or json");
}

std::string check_redis_url(std::string_view v) {
    if (v.empty()) return {};  // no Redis: everything in memory
    try {
        (void)parse_redis_url(v);
        return {};
    } catch (const redis_error& e) {
        return e.what();
    }
}

constexpr std::uint64_t u32_max = UINT32_MAX;

// Paths are checked when the broker opens them: a missing key is a clear error there.
std::string any_path(std::string_view) { return {}; }

std::string check_rate_limits(std::string_view v) {
    try {
        (void)parse_rate_limits(v);
        return {};
    } catch (const config_error& e) {
        return e.what();
    }
}

std::string check_task_routes(std::string_view v) {
    try {
        (void)task_routes(v);
        return {};
    } catch (const config_error& e) {
        return e.what();
    }
}

std::string check_http(std::string_view v) {
    if (v.empty()) return {};
    http_address where;
    return parse_http_address(v, where)
               ? std::string()
               : "must be HOST:PORT, such as 127.0.0.1:9808 (port 0: a free one)";
}

const std::array<setting, 30> settings{{
    {"bind", "SHOAL_BIND", "--bind", "Endpoint to bind (port 0 picks a free port)",
     &broker_config::bind, 0, 0, check_endpoint},
    {"heartbeat_ms", "SHOAL_HEARTBEAT_MS", "--heartbeat-ms",
     "Heartbeat interval in milliseconds (sent in WELCOME)", &broker_config::heartbeat_ms, 10,
     3'600'000},
    {"liveness", "SHOAL_LIVENESS", "--liveness", "Heartbeats of silence after which a peer is dead",
     &broker_config::liveness, 1, 1000},
    {"result_ttl_s", "SHOAL_RESULT_TTL_S", "--result-ttl-s", "Seconds a result stays fetchable",
     &broker_config::result_ttl_s, 1, 10ull * 365 * 86400},
    {"max_results", "SHOAL_MAX_RESULTS", "--max-results",
     "Results kept at most; beyond it the oldest expire early", &broker_config::max_results, 1,
     u32_max},
    {"max_tombstones", "SHOAL_MAX_TOMBSTONES", "--max-tombstones",
     "Expired result ids remembered (they answer 'expired')", &broker_config::max_tombstones, 0,
     u32_max},
    {"max_attempts", "SHOAL_MAX_ATTEMPTS", "--max-attempts",
     "Delivery limit: attempts lost to dead workers before a task is dead-lettered",
     &broker_config::max_attempts, 1, 1000},
    {"rate_limits", "SHOAL_RATE_LIMITS", "--rate-limits",
     "Tasks per second per task name, whole cluster: NAME=N/s (or /m, /h), comma-separated",
     &broker_config::rate_limits, 0, 0, check_rate_limits},
    {"task_routes", "SHOAL_TASK_ROUTES", "--task-routes",
     "The queue of a task whose submit names none, by task name: NAME=QUEUE, comma-separated "
     "(in the config file also a [task_routes] table)",
     &broker_config::task_routes, 0, 0, check_task_routes},
    {"max_batch", "SHOAL_MAX_BATCH", "--max-batch", "Most tasks per DISPATCH or RESULT",
     &broker_config::max_batch, 1, 10'000},
    {"max_message_bytes", "SHOAL_MAX_MESSAGE_BYTES", "--max-message-bytes",
     "Largest message accepted or sent, in bytes", &broker_config::max_message_bytes, 4096,
     16u << 20},
    {"drain_max", "SHOAL_DRAIN_MAX", "--drain-max",
     "Messages read per wake-up before batched replies go out", &broker_config::drain_max, 1,
     1'000'000},
    {"max_queued_bytes", "SHOAL_MAX_QUEUED_BYTES", "--max-queued-bytes",
     "Bytes of tasks held at most (queued, held, running, dead letters); past it SUBMIT is "
     "answered busy",
     &broker_config::max_queued_bytes, 1u << 20, UINT64_MAX},
    {"max_result_bytes", "SHOAL_MAX_RESULT_BYTES", "--max-result-bytes",
     "Bytes of results stored at most; beyond it the oldest expire early",
     &broker_config::max_result_bytes, 1u << 20, UINT64_MAX},
    {"window_bytes", "SHOAL_WINDOW_BYTES", "--window-bytes",
     "Bytes sent to one peer beyond what it acknowledged; past it its results and answers are "
     "dropped (still fetchable)",
     &broker_config::window_bytes, 64u << 10, UINT64_MAX},
    {"busy_retry_ms", "SHOAL_BUSY_RETRY_MS", "--busy-retry-ms",
     "Milliseconds a client refused busy waits before sending again", &broker_config::busy_retry_ms,
     1, 600'000},
    {"dedup_window_s", "SHOAL_DEDUP_WINDOW_S", "--dedup-window-s",
     "Seconds a finished task's id is recognised (a repeated SUBMIT never runs it again)",
     &broker_config::dedup_window_s, 0, 10ull * 365 * 86400},
    {"log_level", "SHOAL_LOG_LEVEL", "--log-level",
     "trace, debug, info, warn, error, critical or off", &broker_config::log_level, 0, 0,
     check_log_level},
    {"log_format", "SHOAL_LOG_FORMAT", "--log-format",
     "text (lines for people) or json (one JSON object per line, for machines)",
     &broker_config::log_format, 0, 0, check_log_format},
    {"redis", "SHOAL_REDIS", "--redis",
     "Redis for durable tasks and results: redis://[:password@]host:port[/db], "
     "unix:///path, or redis+sentinel://host:port,.../MASTER[/db] (empty: in memory only)",
     &broker_config::redis, 0, 0, check_redis_url},
    {"redis_result_ttl_s", "SHOAL_REDIS_RESULT_TTL_S", "--redis-result-ttl-s",
     "Seconds Redis keeps a result", &broker_config::redis_result_ttl_s, 1, 10ull * 365 * 86400},
    {"redis_timeout_ms", "SHOAL_REDIS_TIMEOUT_MS", "--redis-timeout-ms",
     "Milliseconds every Redis call may take before Redis counts as hung",
     &broker_config::redis_timeout_ms, 10, 600'000},
    {"redis_wait_replicas", "SHOAL_REDIS_WAIT_REPLICAS", "--redis-wait-replicas",
     "Redis replicas that must confirm (WAIT) each accepted task and each result before it is "
     "acknowledged (0: the primary's write is enough)",
     &broker_config::redis_wait_replicas, 0, 16},
    {"redis_user", "SHOAL_REDIS_USER", "--redis-user",
     "Redis ACL user name (its password: redis_password_file or SHOAL_REDIS_PASSWORD)",
     &broker_config::redis_user, 0, 0, any_path},
    {"redis_password_file", "SHOAL_REDIS_PASSWORD_FILE", "--redis-password-file",
     "File holding the Redis password (readable by its owner only); or set SHOAL_REDIS_PASSWORD",
     &broker_config::redis_password_file, 0, 0, any_path},
    {"secret_key", "SHOAL_SECRET_KEY", "--secret-key",
     "The broker's secret key file (NAME.key_secret from shoal keygen): CURVE encryption and "
     "authentication on; needs keys_dir",
     &broker_config::secret_key, 0, 0, any_path},
    {"keys_dir", "SHOAL_KEYS_DIR", "--keys-dir",
     "Directory of authorised public keys: clients/, workers/, admins/ (needs secret_key)",
     &broker_config::keys_dir, 0, 0, any_path},
    {"ha_lease_ms", "SHOAL_HA_LEASE_MS", "--ha-lease-ms",
     "Milliseconds of the active broker's lease in Redis: brokers sharing one Redis stand by "
     "until they hold it (0: serve alone)",
     &broker_config::ha_lease_ms, 0, 600'000},
    {"ha_name", "SHOAL_HA_NAME", "--ha-name",
     "This broker's name in the lease and in `shoal inspect brokers` (default HOST:PID)",
     &broker_config::ha_name, 0, 0, any_path},
    {"http", "SHOAL_HTTP", "--http",
     "HOST:PORT of the HTTP listener: /metrics (Prometheus), /healthz, /readyz (empty: none)",
     &broker_config::http, 0, 0, check_http},
}};

constexpr std::string_view config_env = "SHOAL_CONFIG";

// A [task_routes] table in the config file, as the setting's text: NAME=QUEUE,...
std::string task_routes_text(const std::map<std::string, std::string>& table,
                             std::string_view where) {
    std::string text;
    for (const auto& [name, queue] : table) {
        for (const std::string_view part : {std::string_view(name), std::string_view(queue)}) {
            if (part.find_first_of(",=") != std::string_view::npos) {
                throw config_error(fmt::format(
                    "{}.{}: task and queue names must not hold ',' or '='", where, name));
            }
        }
        if (!text.empty()) text += ',';
        text += fmt::format("{}={}", name, queue);
    }
    return text;
}

bool is_text(const setting& s) {
    return std::holds_alternative<std::string broker_config::*>(s.member);
}

std::string default_text(const setting& s) {
    const broker_config defaults;
    if (const auto* text = std::get_if<std::string broker_config::*>(&s.member))
        return defaults.*(*text);
    if (const auto* m32 = std::get_if<std::uint32_t broker_config::*>(&s.member))
        return std::to_string(defaults.*(*m32));
    return std::to_string(defaults.*std::get<std::uint64_t broker_config::*>(s.member));
}

std::vector<setting_spec> broker_specs() {
    std::vector<setting_spec> out;
    out.reserve(settings.size());
    for (const setting& s : settings) {
        setting_spec spec;
        spec.key = s.key;
        spec.env = s.env;
        spec.flag = s.flag;
        spec.help = s.help;
        spec.kind = is_text(s) ? setting_kind::text : setting_kind::integer;
        spec.min = static_cast<double>(s.min);
        spec.max = static_cast<double>(s.max);
        if (s.check != nullptr) spec.check = s.check;
        spec.default_text = default_text(s);
        if (s.key == "task_routes") spec.from_table = task_routes_text;
        out.push_back(std::move(spec));
    }
    return out;
}

// The values the sources gave, into the config (what no source named keeps its value).
void copy_given(const layered_settings& given, broker_config& c) {
    for (const setting& s : settings) {
        if (const auto* text = std::get_if<std::string broker_config::*>(&s.member)) {
            if (auto v = given.text(s.key)) c.*(*text) = std::move(*v);
        } else if (const auto n = given.integer(s.key)) {
            if (const auto* m32 = std::get_if<std::uint32_t broker_config::*>(&s.member)) {
                c.*(*m32) = static_cast<std::uint32_t>(*n);
            } else {
                c.*std::get<std::uint64_t broker_config::*>(s.member) = *n;
            }
        }
    }
}

// A secret: from the environment only, never a flag (ps) or a config file key.
void apply_password(broker_config& config, const env_lookup& env) {
    if (const auto password = env("SHOAL_REDIS_PASSWORD")) config.redis_password = *password;
}

}  // namespace

layered_settings broker_settings() {
    layered_settings s(broker_specs());
    s.leave_table("periodic");  // read_periodic_tables() takes it
    return s;
}

std::string settings_together_problem(const broker_config& config) {
    if (config.ha_lease_ms > 0 && config.redis.empty()) {
        return "ha_lease_ms is set but redis is not: the brokers share their lease and their "
               "tasks through Redis";
    }
    if (config.ha_lease_ms > 0 && config.ha_lease_ms < 300) {
        return "ha_lease_ms must be 0 or at least 300 (it is renewed every third of it)";
    }
    if (config.ha_lease_ms > 0 && (config.bind.ends_with(":0") || config.bind.ends_with(":*"))) {
        return "ha_lease_ms needs a fixed port in bind: clients and workers list the brokers' "
               "endpoints, and a broker that loses its lease starts over on the same one";
    }
    if (config.secret_key.empty() == config.keys_dir.empty()) return {};
    return config.secret_key.empty()
               ? "keys_dir is set but secret_key is not: give the broker its secret key too"
               : "secret_key is set but keys_dir is not: without it no one could connect";
}

void apply_toml(broker_config& config, std::string_view toml_text, std::string_view source) {
    layered_settings given = broker_settings();
    given.apply_toml(toml_text, source);
    config.periodic = read_periodic_tables(toml_text, source);
    copy_given(given, config);
}

void apply_toml_file(broker_config& config, const std::string& path) {
    apply_toml(config, read_config_file(path), path);
}

void apply_environment(broker_config& config, const env_lookup& env) {
    layered_settings given = broker_settings();
    given.apply_environment(env);
    copy_given(given, config);
    apply_password(config, env);
}

daemon_options load_daemon_options(int argc, const char* const* argv, const env_lookup& env) {
    CLI::App app{
        "shoal-broker: the Shoal task broker (SHOAL/1).\n"
        "Precedence: command line > environment (SHOAL_*) > config file > defaults.",
        "shoal-broker"};
    std::array<std::string, settings.size()> cli_values;
    std::array<CLI::Option*, settings.size()> cli_options{};
    for (std::size_t i = 0; i < settings.size(); ++i) {
        const setting& s = settings[i];
        cli_options[i] = app.add_option(std::string(s.flag), cli_values[i],
                                        fmt::format("{} [env {}, toml {}]", s.help, s.env, s.key))
                             ->type_name(is_text(s) ? "TEXT" : "UINT");
    }
    daemon_options out;
    std::string config_file;
    app.add_option("--config", config_file, fmt::format("TOML config file [env {}]", config_env))
        ->type_name("FILE");
    app.add_flag("--print-endpoint", out.print_endpoint,
                 "Print the bound endpoint as the first line on stdout");
    app.add_flag("--print-config", out.print_config,
                 "Print the effective settings (TOML, each with where it came from) and exit");
    app.add_flag("--check-config", out.check_config,
                 "Check every setting from every source and exit: 0 if all are good, 2 if not");
    app.add_flag("--version", out.version, "Print the version and exit");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        out.help = app.help();
        return out;
    } catch (const CLI::ParseError& e) {
        throw config_error(fmt::format("command line: {}", e.what()));
    }
    if (out.version) return out;

    // Lowest to highest: defaults, file, environment, command line.
    if (config_file.empty()) {
        if (const auto from_env = env(config_env)) config_file = *from_env;
    }
    layered_settings given = broker_settings();
    if (!config_file.empty()) {
        const std::string text = read_config_file(config_file);
        given.apply_toml(text, config_file);
        out.config.periodic = read_periodic_tables(text, config_file);
    }
    out.config_file = config_file;
    given.apply_environment(env);
    for (std::size_t i = 0; i < settings.size(); ++i) {
        if (cli_options[i]->count() > 0) {
            given.apply(std::string(settings[i].key), cli_values[i], setting_origin::command_line,
                        fmt::format("option {}", settings[i].flag));
        }
    }
    copy_given(given, out.config);
    apply_password(out.config, env);
    out.effective = given.describe();
    for (const periodic_definition& d : out.config.periodic) {
        out.effective += fmt::format("# [periodic.{}]: {} {} (config file {})\n", d.name, d.task,
                                     d.schedule, config_file);
    }
    return out;
}

}  // namespace shoal::broker
