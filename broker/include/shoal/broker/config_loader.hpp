#pragma once
// Loading broker_config from its four sources, in one precedence (highest first):
//
//     command line  >  environment (SHOAL_*)  >  config file (TOML)  >  built-in defaults
//
// Each source only overrides the settings it names. The config file is the one given by
// --config, else by SHOAL_CONFIG; without either, none is read. Every value is checked where
// it is read, and a bad one throws config_error naming its source, the setting and why. The
// layering itself is shoal::layered_settings (common), shared with the worker and the CLI.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/broker/broker_config.hpp"
#include "shoal/common/layered_settings.hpp"

namespace shoal::broker {

using shoal::env_lookup;
using shoal::process_environment;

// Settings that only work together, checked at start and by --check-config: why the config
// cannot work as given, or empty (secret_key and keys_dir go together).
std::string settings_together_problem(const broker_config& config);

// The broker's settings (README.md's table), none given yet.
layered_settings broker_settings();

// Applies a TOML document's keys (flat, named as in README.md); unknown keys and values of
// the wrong type or range throw config_error. `source` names the document in messages.
void apply_toml(broker_config& config, std::string_view toml_text, std::string_view source);
void apply_toml_file(broker_config& config, const std::string& path);
// The document's [periodic.NAME] tables (broker/README.md, "Periodic tasks"), each checked
// (schedule, zone, policy); config_error names the table and what is wrong.
std::vector<periodic_definition> read_periodic_tables(std::string_view toml_text,
                                                      std::string_view source);
// Applies the SHOAL_* variables that are set.
void apply_environment(broker_config& config, const env_lookup& env);

// What the daemon's command line asks for.
struct daemon_options {
    broker_config config;
    bool print_endpoint = false;      // print the bound endpoint as stdout's first line
    std::string config_file;          // the TOML file read, or empty
    std::optional<std::string> help;  // --help: print this and exit 0
    bool print_config = false;        // --print-config: print `effective` and exit 0
    bool check_config = false;        // --check-config: everything was read and good; exit 0
    bool version = false;             // --version: print it and exit 0 (nothing else is read)
    std::string effective;            // every setting, its value and where it came from (TOML)
};

// Parses argv and builds the config in the precedence above. Throws config_error for an
// unknown flag or a bad value anywhere.
daemon_options load_daemon_options(int argc, const char* const* argv, const env_lookup& env);

}  // namespace shoal::broker
