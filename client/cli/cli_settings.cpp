#include "cli_settings.hpp"

#include <fmt/format.h>

namespace shoal::cli {

namespace {

constexpr std::string_view config_env = "SHOAL_CLI_CONFIG";
constexpr double max_timeout_s = 86'400;

std::vector<setting_spec> cli_specs() {
    const global_options d;
    using k = setting_kind;
    return {
        {"broker", "SHOAL_BROKER", "--broker,-b", "broker endpoint", k::text, 0, 0, nullptr,
         "tcp://127.0.0.1:5555"},
        {"broker_key", "SHOAL_BROKER_KEY", "--broker-key",
         "the broker's public key file: CURVE on (needs --key)", k::text},
        {"key", "SHOAL_KEY", "--key", "your secret key file (NAME.key_secret; needs --broker-key)",
         k::text},
        {"timeout", "SHOAL_TIMEOUT", "--timeout,-t",
         "seconds to wait for the broker to connect and to answer (not for a task: see "
         "--wait-timeout)",
         k::seconds, 0, max_timeout_s, nullptr, fmt::format("{}", d.timeout_s)},
    };
}

}  // namespace

cli_settings::cli_settings(CLI::App& app) : settings_(cli_specs()) {
    const auto& specs = settings_.specs();
    values_.resize(specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const setting_spec& s = specs[i];
        options_.push_back(app.add_option(
            s.flag, values_[i],
            fmt::format("{} [env {}, toml {}{}]", s.help, s.env, s.key,
                        s.default_text.empty() ? "" : ", default " + s.default_text)));
        options_.back()->type_name(s.kind == setting_kind::seconds ? "SECONDS" : "TEXT");
    }
    app.add_option("--config", config_file_,
                   fmt::format("TOML file of these settings [env {}]", config_env))
        ->type_name("FILE");
    app.add_flag("--print-config", print_config,
                 "print the effective settings (TOML, each with where it came from) and exit");
    app.add_flag("--check-config", check_config,
                 "check every setting from every source and exit: 0 if all are good, 2 if not");
}

void cli_settings::resolve(global_options& opts, const env_lookup& env) {
    if (config_file_.empty()) {
        if (const auto from_env = env(config_env)) config_file_ = *from_env;
    }
    if (!config_file_.empty()) settings_.apply_toml_file(config_file_);
    settings_.apply_environment(env);
    const auto& specs = settings_.specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
        if (options_[i]->count() > 0) {
            settings_.apply(specs[i].key, values_[i], setting_origin::command_line,
                            fmt::format("option {}", options_[i]->get_name()));
        }
    }
    // An empty SHOAL_BROKER means "not set", as before the loader was shared.
    const auto broker = settings_.text("broker");
    opts.broker = broker && !broker->empty() ? *broker : specs.front().default_text;
    if (auto v = settings_.text("broker_key")) opts.broker_key = *v;
    if (auto v = settings_.text("key")) opts.key = *v;
    if (auto v = settings_.seconds("timeout")) opts.timeout_s = *v;
    effective = settings_.describe();
}

}  // namespace shoal::cli
