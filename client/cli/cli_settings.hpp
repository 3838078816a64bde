#pragma once
// The CLI's global settings (--broker, --broker-key, --key, --timeout) through the loader the
// daemons share (shoal::layered_settings): flags > SHOAL_* environment > a TOML file
// (--config, or SHOAL_CLI_CONFIG) > defaults. --print-config shows them with their origin.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli_context.hpp"
#include "shoal/common/layered_settings.hpp"

namespace shoal::cli {

class cli_settings {
  public:
    // Adds the global flags to app (before it parses).
    explicit cli_settings(CLI::App& app);
    // After app parsed: every source applied, in precedence, into opts. Throws config_error.
    void resolve(global_options& opts, const env_lookup& env);

    bool print_config = false;  // --print-config
    bool check_config = false;  // --check-config
    std::string effective;      // set by resolve(): every setting, its value and origin

  private:
    layered_settings settings_;
    std::vector<std::string> values_;
    std::vector<CLI::Option*> options_;
    std::string config_file_;
};

}  // namespace shoal::cli
