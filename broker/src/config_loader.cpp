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

const std::array<setting, 25> settings{{
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
    {"redis", "SHOAL_REDIS", "--redis",
     "Redis for durable tasks and results: redis://[:password@]host:port[/db] or "
     "unix:///path (empty: in memory only)",
     &broker_config::redis, 0, 0, check_redis_url},
    {"redis_result_ttl_s", "SHOAL_REDIS_RESULT_TTL_S", "--redis-result-ttl-s",
     "Seconds Redis keeps a result", &broker_config::redis_result_ttl_s, 1, 10ull * 365 * 86400},
    {"redis_timeout_ms", "SHOAL_REDIS_TIMEOUT_MS", "--redis-timeout-ms",
     "Milliseconds every Redis call may take before Redis counts as hung",
     &broker_config::redis_timeout_ms, 10, 600'000},
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
}};

constexpr std::string_view config_env = "SHOAL_CONFIG";

[[noreturn]] void fail(std::string_view source, std::string_view why) {
    throw config_error(fmt::format("{}: {}", source, why));
}

// A [task_routes] table in the config file, as the setting's text: NAME=QUEUE,...
std::string task_routes_text(const toml::table& table, std::string_view where) {
    std::string text;
    for (auto&& [name, queue] : table) {
        const auto* q = queue.as_string();
        if (q == nullptr)
            fail(fmt::format("{}.{}", where, name.str()), "must be a string (a queue name)");
        for (const std::string_view part : {name.str(), std::string_view(q->get())}) {
            if (part.find_first_of(",=") != std::string_view::npos) {
                fail(fmt::format("{}.{}", where, name.str()),
                     "task and queue names must not hold ',' or '='");
            }
        }
        if (!text.empty()) text += ',';
        text += fmt::format("{}={}", name.str(), q->get());
    }
    return text;
}

void set_number(broker_config& c, const setting& s, std::uint64_t value, std::string_view source) {
    if (value < s.min || value > s.max) {
        fail(source, fmt::format("must be between {} and {} (got {})", s.min, s.max, value));
    }
    if (const auto* m32 = std::get_if<std::uint32_t broker_config::*>(&s.member)) {
        c.*(*m32) = static_cast<std::uint32_t>(value);
    } else {
        c.*std::get<std::uint64_t broker_config::*>(s.member) = value;
    }
}

void set_text(broker_config& c, const setting& s, std::string_view value, std::string_view source) {
    if (const std::string why = s.check(value); !why.empty()) {
        fail(source, fmt::format("{} (got '{}')", why, value));
    }
    c.*std::get<std::string broker_config::*>(s.member) = std::string(value);
}

bool is_text(const setting& s) {
    return std::holds_alternative<std::string broker_config::*>(s.member);
}

// From the environment or the command line: text as is, numbers as plain decimal digits.
void set_from_string(broker_config& c, const setting& s, std::string_view value,
                     std::string_view source) {
    if (is_text(s)) {
        set_text(c, s, value, source);
        return;
    }
    std::uint64_t n = 0;
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, n);
    if (value.empty() || ec != std::errc{} || ptr != end) {
        fail(source, fmt::format("must be a whole number (got '{}')", value));
    }
    set_number(c, s, n, source);
}

const setting* setting_for_key(std::string_view key) {
    for (const setting& s : settings) {
        if (s.key == key) return &s;
    }
    return nullptr;
}

}  // namespace

env_lookup process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
}

void apply_toml(broker_config& config, std::string_view toml_text, std::string_view source) {
    // toml++ 3.3 (Debian 12) reaches __builtin_unreachable(), undefined behaviour, when it
    // checks some non-ASCII characters for whitespace (marzer/tomlplusplus#190 and #295; found
    // by tests/fuzz). Every setting is ASCII, so the file must be too, comments included.
    std::size_t line = 1;
    std::size_t column = 1;
    for (const char c : toml_text) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            fail(source, fmt::format("line {}, column {}: only ASCII characters are allowed", line,
                                     column));
        }
        column = c == '\n' ? 1 : column + 1;
        line += c == '\n' ? 1 : 0;
    }
    toml::table table;
    try {
        table = toml::parse(toml_text, source);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        fail(source,
             fmt::format("line {}, column {}: {}", where.line, where.column, e.description()));
    }
    for (auto&& [key, node] : table) {
        const std::string_view k = key.str();
        const setting* s = setting_for_key(k);
        const std::string where = fmt::format("{}: {}", source, k);
        if (s == nullptr) fail(source, fmt::format("unknown key '{}'", k));
        if (k == "task_routes" && node.is_table()) {
            set_text(config, *s, task_routes_text(*node.as_table(), where), where);
        } else if (is_text(*s)) {
            const auto* text = node.as_string();
            if (text == nullptr) fail(where, "must be a string");
            set_text(config, *s, text->get(), where);
        } else {
            const auto* number = node.as_integer();
            if (number == nullptr) fail(where, "must be an integer");
            if (number->get() < 0)
                fail(where, fmt::format("must not be negative (got {})", number->get()));
            set_number(config, *s, static_cast<std::uint64_t>(number->get()), where);
        }
    }
}

void apply_toml_file(broker_config& config, const std::string& path) {
    std::string text;
    {
        std::FILE* f = std::fopen(path.c_str(), "rb");
        if (f == nullptr) fail(path, "cannot open the config file");
        char buf[4096];
        std::size_t n = 0;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
        const bool failed = std::ferror(f) != 0;
        std::fclose(f);
        if (failed) fail(path, "cannot read the config file");
    }
    apply_toml(config, text, path);
}

void apply_environment(broker_config& config, const env_lookup& env) {
    for (const setting& s : settings) {
        if (const auto value = env(s.env)) {
            set_from_string(config, s, *value, fmt::format("environment variable {}", s.env));
        }
    }
    // A secret: from the environment only, never a flag (ps) or a config file key.
    if (const auto password = env("SHOAL_REDIS_PASSWORD")) config.redis_password = *password;
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
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        out.help = app.help();
        return out;
    } catch (const CLI::ParseError& e) {
        throw config_error(fmt::format("command line: {}", e.what()));
    }

    // Lowest to highest: defaults, file, environment, command line.
    if (config_file.empty()) {
        if (const auto from_env = env(config_env)) config_file = *from_env;
    }
    if (!config_file.empty()) apply_toml_file(out.config, config_file);
    out.config_file = config_file;
    apply_environment(out.config, env);
    for (std::size_t i = 0; i < settings.size(); ++i) {
        if (cli_options[i]->count() > 0) {
            set_from_string(out.config, settings[i], cli_values[i],
                            fmt::format("option {}", settings[i].flag));
        }
    }
    return out;
}

}  // namespace shoal::broker
